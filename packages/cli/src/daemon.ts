/**
 * Runs one config at a time as a `WatchProxy`, and swaps it for another on reload: the running pipeline is shut
 * down gracefully (its emit caches written to the state folder) and a new one is started on the same folder,
 * which loads them back, so unchanged objects are not re-sent and deletes that happened in between come out as
 * missed deletes. Every key therefore reloads the same way, with no per-key diffing to get wrong.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy } from '@watch-proxy/core';
import type { ClusterOptions, Logger, ShutdownReport, Sink, WatchProxyError } from '@watch-proxy/core';
import type { WatchdogBounds } from '@watch-proxy/core/watch';
import type { SharedCacheUsage } from '@watch-proxy/core/cache';

import { createChangePrinter } from './change-lines.js';
import type { OutputFormat } from './change-lines.js';
import type { ClusterConfig, ConfigEnv, WatchProxyConfig } from './config/index.js';
import { describeError } from './describe-error.js';
import { adoptFormerStateFiles } from './former-endpoint-names.js';
import { createLeaderElection } from './leader-election.js';
import { createClusterStateStore } from './state-store.js';
import type { ClusterStateStore } from './state-store.js';
import type { LeaderElection } from './leader-election.js';
import { privateStateDir } from './private-state-dir.js';
import type { PrivateStateDir } from './private-state-dir.js';
import { loadBrokerSinks } from './broker-sinks.js';
import { toClusterOptions, toWatchProxyOptions } from './watch-proxy-options.js';
import { clusterChanges, droppedClusters, type ClusterChanges } from './cluster-changes.js';
import type { RuntimeOptions } from './watch-proxy-options.js';

/** Options of {@link Daemon}. */
export interface DaemonOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** `--dry-run`: print payloads instead of sending, and keep state in a private folder. Default `false`. */
  readonly dryRun?: boolean | undefined;
  /** Where credentials are read. Default `process.env`. */
  readonly env?: ConfigEnv | undefined;
  /** Where the stdout sink prints. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream | undefined;
  /** What the stdout sink prints (`--output`): `json` payloads (default) or `text` lines. */
  readonly output?: OutputFormat | undefined;
  /** The watchers' watchdog bounds, for every pipeline (reloads included). Default: core's. */
  readonly watchdogs?: WatchdogBounds | undefined;
  /** Wraps each sink (metrics timing). */
  readonly wrapSink?: ((sink: Sink) => Sink) | undefined;
  /** Called with each new pipeline before it starts (bind metrics here), and with `undefined` when none runs. */
  readonly onPipeline?: ((proxy: WatchProxy | undefined, config: WatchProxyConfig) => void) | undefined;
  /** Every runtime failure of the running pipeline, after logging. */
  readonly onError?: ((error: WatchProxyError) => void) | undefined;
  /**
   * The daemon cannot go on: the first config's pipeline failed to start, or a reloaded config's did and the
   * previous one could not be restored. The caller should stop and exit 1.
   */
  readonly onFatal: (error: unknown) => void;
  /** Parent of the private state folder. Default the OS temp folder. */
  readonly tmpDir?: string | undefined;
  /** Called whenever the running election changes (undefined: off): bind leader metrics here. */
  readonly onElection?: ((election: LeaderElection | undefined) => void) | undefined;
  /** Cluster access of a `clusters[]` entry. Default: its kubeconfig file, `in-cluster`, or `kubeConfig`. */
  readonly clusterKubeConfig?: ((cluster: ClusterConfig) => KubeConfig) | undefined;
  /** Builds the `leaderElection` of a config. Default: the Lease elector (`createLeaderElection`). */
  readonly createElection?: ((config: NonNullable<WatchProxyConfig['leaderElection']>) => LeaderElection) | undefined;
}

/** What {@link Daemon.reload} did. */
export type ReloadOutcome = 'applied' | 'unchanged' | 'rejected' | 'stopping';

interface Running {
  readonly config: WatchProxyConfig;
  /** Undefined when the config lists no resources: nothing to watch, the daemon idles until a reload. */
  readonly proxy: WatchProxy | undefined;
}

/** The daemon's pipeline holder. Operations (start, reload, stop) run one at a time, in call order. */
export class Daemon {
  readonly #o: DaemonOptions;
  readonly #logger: Logger;
  readonly #privateDir: PrivateStateDir;
  #chain: Promise<unknown> = Promise.resolve();
  #running: Running | undefined;
  /** The running election, shared by every pipeline until `leaderElection` changes; undefined when off. */
  #election: LeaderElection | undefined;
  /** The `stateStore: cluster` store, kept across reloads while its settings stay the same. */
  #stateStore: ClusterStateStore | undefined;
  /** Pipelines being or already shut down on purpose: their start rejecting is expected, not a failure. */
  readonly #retired = new WeakSet<WatchProxy>();
  #stopping: Promise<ShutdownReport | undefined> | undefined;
  /**
   * Since when (epoch ms) each resource of the running config has been watched, across reloads: a reload swaps
   * the pipeline but, as in the original (which kept the informers of kept resources), must not re-open
   * `delayAddEventDuration` and discard the adds of objects created just after it.
   */
  #watchedSince = new Map<string, number>();
  /** `--output text` remembers what it printed across reloads, so an update after one still names its fields. */
  readonly #changePrinter = createChangePrinter();

  constructor(options: DaemonOptions) {
    this.#o = options;
    this.#logger = options.logger;
    this.#privateDir = privateStateDir(options.logger, options.tmpDir);
  }

  /** The config being run; undefined before `start`. */
  get config(): WatchProxyConfig | undefined {
    return this.#running?.config;
  }

  /** The running pipeline, if any. */
  get pipeline(): WatchProxy | undefined {
    return this.#running?.proxy;
  }

  /**
   * Runs `config`. Resolves once the pipeline is created and starting (not once it synced: an unreachable API
   * server must not block signals or reloads). Throws when the config cannot be turned into a pipeline (e.g.
   * a credential variable vanished); a failed pipeline start is reported to `onFatal`.
   */
  start(config: WatchProxyConfig): Promise<void> {
    return this.#enqueue(async () => {
      const election = this.#electionFor(config, undefined);
      const proxy = await this.#build(config, election);
      this.#election = election;
      this.#o.onElection?.(election);
      election?.start();
      this.#launch(config, proxy, undefined);
    });
  }

  /**
   * Replaces the running config with `config`: a no-op when nothing changed (unless `force`, which also
   * re-reads what the config only points to: TLS files, credential variables); otherwise the new sinks are built
   * first (a failure there keeps the old pipeline running untouched), then the old pipeline is shut down and
   * the new one started on the same state folder. Never throws.
   */
  reload(config: WatchProxyConfig, options: { readonly force?: boolean } = {}): Promise<ReloadOutcome> {
    return this.#enqueue(async (): Promise<ReloadOutcome> => {
      if (this.#stopping !== undefined) return 'stopping';
      const previous = this.#running;
      const same = previous !== undefined && JSON.stringify(previous.config) === JSON.stringify(config);
      if (same && options.force !== true) return 'unchanged';
      // Only clusters came or went: applied to the running pipeline, the other clusters untouched.
      const changes = previous?.proxy !== undefined && options.force !== true ? clusterChanges(previous.config, config) : undefined;
      if (previous?.proxy !== undefined && changes !== undefined) return this.#changeClusters(previous.proxy, config, changes);
      let next: WatchProxy | undefined;
      let election: LeaderElection | undefined;
      try {
        election = this.#electionFor(config, this.#election);
        next = await this.#build(config, election);
      } catch (error) {
        this.#logger.error({ err: describeError(error) }, 'config reload rejected: keeping the running config');
        return 'rejected';
      }
      if (previous?.proxy !== undefined) {
        if (config.removedClusterObjects === 'delete') await this.#deleteDropped(previous.proxy, droppedClusters(previous.config, config));
        await this.#retire(previous.proxy, 'config reload');
      }
      await this.#switchElection(election);
      this.#launch(config, next, previous?.config);
      return 'applied';
    });
  }

  /**
   * Adds and removes clusters on the running pipeline. Their access is loaded first: a kubeconfig that cannot be
   * read rejects the reload with nothing changed. A removed cluster's queued changes are sent (within
   * `shutdownGracePeriod`) and its emit caches written; its objects are deleted at the endpoints only with
   * `removedClusterObjects: delete`. An added cluster starts listing in the background (an unreachable one is
   * retried and degrades alone).
   */
  async #changeClusters(proxy: WatchProxy, config: WatchProxyConfig, changes: ClusterChanges): Promise<ReloadOutcome> {
    let added: ClusterOptions[];
    try {
      added = changes.added.map((cluster) => toClusterOptions(cluster, { kubeConfig: this.#o.kubeConfig, clusterKubeConfig: this.#o.clusterKubeConfig }));
    } catch (error) {
      this.#logger.error({ err: describeError(error) }, 'config reload rejected: keeping the running config');
      return 'rejected';
    }
    const kept = new Set(changes.added.map((c) => c.name));
    for (const name of changes.removed) {
      // A changed entry comes back under its name at once: its objects stay where they are.
      const deleteObjects = config.removedClusterObjects === 'delete' && !kept.has(name);
      await proxy.removeCluster(name, { deleteObjects });
    }
    for (const cluster of added) {
      proxy.addCluster(cluster).catch((error: unknown) => {
        this.#logger.error({ cluster: cluster.name, err: describeError(error) }, 'adding a cluster failed');
      });
    }
    this.#running = { config, proxy };
    this.#logger.info({ added: changes.added.map((c) => c.name), removed: changes.removed.filter((n) => !kept.has(n)), changed: changes.removed.filter((n) => kept.has(n)) }, 'clusters changed');
    return 'applied';
  }

  /** `removedClusterObjects: delete` on a reload that replaces the pipeline: the old one deletes what it sent of `names` first. */
  async #deleteDropped(proxy: WatchProxy, names: readonly string[]): Promise<void> {
    for (const name of names) await proxy.removeCluster(name, { deleteObjects: true }).catch(() => false);
  }

  /**
   * Stops watching, drains within the config's `shutdownGracePeriod`, writes the emit caches and closes the
   * sinks. Resolves to the pipeline's report (undefined if none ran). Idempotent.
   */
  stop(): Promise<ShutdownReport | undefined> {
    this.#stopping ??= this.#enqueue(async () => {
      const proxy = this.#running?.proxy;
      const report = proxy === undefined ? undefined : await this.#retire(proxy, 'shutdown');
      // After the drain and the last shared-cache save: release the lease so a standby takes over at once.
      await this.#switchElection(undefined);
      this.#privateDir.remove();
      return report;
    });
    return this.#stopping;
  }

  /** Aborts in-flight sends now (a second signal). `stop()` then resolves promptly. */
  destroy(): void {
    this.#running?.proxy?.destroy();
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(op);
    this.#chain = result.catch(() => {});
    return result;
  }

  /**
   * The election `config` asks for: `current` when its settings did not change, a new (unstarted) one when they
   * did, none when it is off or under `--dry-run` (a dry run must not take the lease from the real replicas).
   */
  #electionFor(config: WatchProxyConfig, current: LeaderElection | undefined): LeaderElection | undefined {
    if (config.leaderElection === undefined || this.#o.dryRun === true) return undefined;
    const create = this.#o.createElection ?? ((le) => createLeaderElection(le, this.#o.kubeConfig, this.#logger, this.#o.env));
    const next = create(config.leaderElection);
    return current !== undefined && current.key === next.key ? current : next;
  }

  /** Makes `next` the running election: stops the old one (releasing its lease) and starts the new one. */
  async #switchElection(next: LeaderElection | undefined): Promise<void> {
    if (next === this.#election) return;
    const old = this.#election;
    this.#election = next;
    await old?.stop();
    this.#o.onElection?.(next);
    next?.start();
  }

  /** The cluster store `config` asks for (`stateStore: {type: cluster}`): the current one when its settings did not change. */
  #stateStoreFor(config: WatchProxyConfig): ClusterStateStore | undefined {
    if (config.stateStore === undefined) return undefined;
    const next = createClusterStateStore(config.stateStore, this.#o.kubeConfig, this.#o.env);
    if (this.#stateStore?.key !== next.key) this.#stateStore = next;
    return this.#stateStore;
  }

  /** What the running cluster store could not hold, per endpoint (for the metrics); empty without one. */
  stateStoreUsage(): readonly SharedCacheUsage[] {
    const running = this.#running;
    if (running?.proxy === undefined) return [];
    const store = running.config.stateStore !== undefined ? this.#stateStore?.store : this.#election?.sharedCache;
    return store?.usage?.() ?? [];
  }

  /** Builds (without starting) the pipeline for `config`; undefined when it lists no resources. Throws when it cannot. */
  async #build(config: WatchProxyConfig, election: LeaderElection | undefined): Promise<WatchProxy | undefined> {
    if (config.resources.length === 0) return undefined;
    await loadBrokerSinks(config.remoteEndpoints);
    const dryRun = this.#o.dryRun ?? false;
    const runtime: RuntimeOptions = {
      kubeConfig: this.#o.kubeConfig,
      stateDir: dryRun || config.stateDir === undefined ? this.#privateDir.path() : config.stateDir,
      logger: this.#logger,
      onError: this.#o.onError,
      dryRun,
      env: this.#o.env,
      stdout: this.#o.stdout,
      output: this.#o.output,
      changePrinter: this.#changePrinter,
      wrapSink: this.#o.wrapSink,
      gate: election?.gate,
      // Never under --dry-run: a dry run must not overwrite the real replicas' state.
      sharedCache: (dryRun ? undefined : this.#stateStoreFor(config)?.store) ?? election?.sharedCache,
      watchedSince: this.#watchedSince,
      watchdogs: this.#o.watchdogs,
      clusterKubeConfig: this.#o.clusterKubeConfig,
    };
    if (runtime.stateDir !== undefined && !dryRun) adoptFormerStateFiles(runtime.stateDir, config.remoteEndpoints, this.#logger);
    return new WatchProxy(toWatchProxyOptions(config, runtime));
  }

  #launch(config: WatchProxyConfig, proxy: WatchProxy | undefined, previous: WatchProxyConfig | undefined): void {
    if (proxy === undefined) {
      this.#running = { config, proxy: undefined };
      this.#watchedSince = new Map();
      this.#o.onPipeline?.(undefined, config);
      this.#logger.warn({}, 'the config lists no resources: nothing is watched until it does');
      return;
    }
    this.#running = { config, proxy };
    // Kept resources keep their first start; new ones start now; removed ones start afresh if they come back.
    const now = Date.now();
    this.#watchedSince = new Map(config.resources.map((r) => [r.name, this.#watchedSince.get(r.name) ?? now]));
    this.#o.onPipeline?.(proxy, config);
    this.#logger.info(
      { resources: config.resources.map((r) => r.name), endpoints: Object.keys(proxy.stats().sinks) },
      'starting the pipeline',
    );
    proxy.start().then(
      () => {
        // start() also resolves when a resource cannot be watched (403, missing CRD): say which, once, here.
        const degraded = proxy.watchHealth().filter((h) => h.state === 'degraded');
        if (degraded.length === 0) this.#logger.info({}, 'initial sync done');
        else {
          const resources = degraded.map((h) => ({ resource: h.resource, err: h.lastError?.message }));
          this.#logger.warn({ degraded: resources }, 'initial sync done');
        }
      },
      (error: unknown) => this.#startFailed(proxy, previous, error),
    );
  }

  #startFailed(proxy: WatchProxy, previous: WatchProxyConfig | undefined, error: unknown): void {
    // A pipeline shut down while starting (a reload or a signal while the API server is unreachable) rejects
    // its start: that is not a failure.
    if (this.#stopping !== undefined || this.#retired.has(proxy) || this.#running?.proxy !== proxy) return;
    if (previous === undefined) {
      this.#o.onFatal(error);
      return;
    }
    this.#logger.error({ err: describeError(error) }, 'the reloaded config failed to start: restoring the previous config');
    void this.#enqueue(async () => {
      if (this.#stopping !== undefined || this.#running?.proxy !== proxy) return;
      try {
        const election = this.#electionFor(previous, this.#election);
        const restored = await this.#build(previous, election);
        await this.#switchElection(election);
        this.#launch(previous, restored, undefined);
      } catch (restoreError) {
        this.#o.onFatal(restoreError);
      }
    });
  }

  async #retire(proxy: WatchProxy, why: string): Promise<ShutdownReport> {
    this.#retired.add(proxy);
    const report = await proxy.shutdown();
    const level = report.drained && report.errors.length === 0 ? 'info' : 'warn';
    this.#logger[level](
      {
        why,
        drained: report.drained,
        delivered: report.delivered,
        undelivered: report.dropped.shutdown ?? 0,
        errors: report.errors.map(describeError),
        durationMs: report.durationMs,
      },
      'pipeline stopped',
    );
    return report;
  }
}
