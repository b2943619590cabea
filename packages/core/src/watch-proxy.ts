import { EventEmitter } from 'eventemitter3';
import { ClusterPipeline, type ClusterPipelineHost, type SharedSink } from './cluster-pipeline.js';
import { SinkTurns } from './deliver/cluster-sink.js';
import { drainLanes } from './deliver/drain-lanes.js';
import { closeSinks, startSinks } from './deliver/sink-lifecycle.js';
import type { SinkSlot } from './deliver/sink-slot.js';
import { ClosedError, InvalidArgumentError, ListenerError, StateError, type WatchProxyError } from './errors.js';
import { asError } from './internal/as-error.js';
import type { OwnStatePredicate } from './internal/own-state.js';
import type { Logger } from './logger.js';
import type { Sink } from './sink/sink.js';
import type { ClusterOptions, WatchProxyOptions } from './options.js';
import { resolveCluster } from './resolve-clusters.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import type { WatcherHealth } from './watch/watcher-health.js';
import { deliveryTotals, retire, ruleStatsByName, sumClusters, type RetiredFigures } from './watch-proxy-stats.js';
import type { ClusterStats, ShutdownReport, WatchProxyEvents, WatchProxyState, WatchProxyStats } from './watch-proxy-types.js';

/**
 * Watches Kubernetes resources and delivers every add, update and delete to sinks:
 * watch → delta engine → route → per-sink lane (coalesce, batch, retry) → emit cache.
 *
 * `new` validates and freezes the options (throws `InvalidArgumentError`) and does no I/O. `start()` loads
 * the emit caches, starts the sinks, then the watchers, and resolves once every resource is listed. After that,
 * nothing is thrown into the host: failures go to `onError` and events. `shutdown()` is idempotent and
 * resolves to a report; `destroy()` aborts. `await using proxy = new WatchProxy(...)` shuts down on scope exit.
 */
export class WatchProxy extends EventEmitter<WatchProxyEvents> {
  readonly #o: ResolvedOptions;
  readonly #logger: Logger;
  readonly #ownState: OwnStatePredicate | undefined;
  readonly #sinks: readonly SharedSink[];
  /** One per cluster, by name (a single unnamed one without `clusters`), in the order they were added. */
  readonly #pipelines = new Map<string, ClusterPipeline>();
  /** Pipelines being removed: their events are ignored from the start of their removal. */
  readonly #removing = new WeakSet<ClusterPipeline>();
  /** Whether the proxy was given `clusters` (named clusters; more can be added). */
  readonly #named: boolean;
  /** `options.clusterUid`: the default of clusters added later. */
  readonly #clusterUid: boolean;
  #state: WatchProxyState = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<ShutdownReport> | undefined;
  /** Aborts sink start-up (their `start(ctx)` signal) when shut down or destroyed while starting. */
  readonly #startAbort = new AbortController();
  /** Cuts a drain short (destroy). */
  #cutDrain: (() => void) | undefined;
  #destroyed = false;
  /** Set when a failed start already closed the sinks: shutdown must not close them twice. */
  #sinksClosed = false;
  /** Figures of removed clusters, so the proxy's totals stay monotonic. */
  readonly #retired: RetiredFigures = { received: 0, changes: 0, delivered: 0, dropped: {} };

  constructor(options: WatchProxyOptions) {
    super();
    this.#o = resolveOptions(options);
    const o = this.#o;
    const store = o.sharedCache;
    this.#ownState = store?.owns === undefined ? undefined : (namespace, name) => store.owns?.(namespace, name) === true;
    this.#logger = o.logger.child({ component: 'watch-proxy' });
    this.#named = o.clusters[0]?.named === true;
    this.#clusterUid = options.clusterUid === true;
    this.#sinks = o.sinks.map((endpoint) => ({ endpoint, turns: new SinkTurns() }));
    for (const cluster of o.clusters) this.#pipelines.set(cluster.name, this.#pipeline(cluster));
  }

  #pipeline(cluster: ResolvedOptions['clusters'][number]): ClusterPipeline {
    // The host's `stopping` asks about the pipeline it is handed to, made just below.
    const made: { pipeline?: ClusterPipeline } = {};
    const host: ClusterPipelineHost = {
      options: this.#o,
      logger: this.#logger,
      ownState: this.#ownState,
      emit: (event, ...args) => this.#emit(event, ...args),
      sinkError: (error) => this.#sinkError(error),
      report: (error) => this.#report(error),
      stopping: () => this.#stopping !== undefined || (made.pipeline !== undefined && this.#removing.has(made.pipeline)),
    };
    made.pipeline = new ClusterPipeline(cluster, this.#sinks, host);
    return made.pipeline;
  }

  /** Every slot of every cluster. */
  get #slots(): SinkSlot[] {
    return [...this.#pipelines.values()].flatMap((p) => p.slots);
  }

  /** Where the proxy is in its lifecycle. */
  get state(): WatchProxyState {
    return this.#state;
  }

  /**
   * Loads persisted emit caches, runs every sink's `start()` (in parallel), then starts the watchers of every
   * cluster, and resolves once every resource of every cluster was listed (a cluster that cannot be reached is
   * retried in the background and does not hold the others back). Rejects with `SinkStartError` if a sink fails
   * to start, and with `ClosedError` after shutdown. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#stopping !== undefined) return Promise.reject(new ClosedError());
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    const lifecycle = { signal: this.#startAbort.signal, logger: this.#logger };
    const started: Sink[] = [];
    const pipelines = [...this.#pipelines.values()];
    try {
      await Promise.all(pipelines.map((p) => p.restore()));
      await startSinks(this.#sinkList(), lifecycle.signal, this.#o.logger, started);
      if (this.#stopping !== undefined) throw new ClosedError('shut down while starting');
      await Promise.all(pipelines.map((p) => p.start()));
      if (this.#stopping !== undefined) throw new ClosedError('shut down while starting');
      this.#state = 'running';
      this.#logger.info({ resources: this.#o.resources.length, sinks: this.#sinks.length, clusters: this.#pipelines.size }, 'watch-proxy running');
      await Promise.all(pipelines.map((p) => p.activate()));
    } catch (error) {
      this.#state = 'failed';
      this.#sinksClosed = true;
      // Undo what did start, so a failed start leaves no timers, sockets or watches behind.
      await Promise.allSettled(pipelines.map((p) => p.stopIntake()));
      await Promise.allSettled(pipelines.map((p) => p.close()));
      await Promise.allSettled(started.reverse().map((sink) => sink.close?.(lifecycle)));
      throw error;
    }
  }

  /**
   * Starts watching one more cluster (only a proxy made with `clusters`), without touching the others: its
   * emit caches are loaded from its own namespace, and every sink without a `clusters` list receives from it.
   * Before `start()` it is started with the others; after, resolves once its resources are listed (or, unreachable,
   * being retried). Throws `InvalidArgumentError` for a bad or taken name, `ClosedError` after shutdown.
   */
  async addCluster(options: ClusterOptions): Promise<void> {
    if (this.#stopping !== undefined) throw new ClosedError();
    if (!this.#named) throw new InvalidArgumentError('WatchProxy.addCluster needs a WatchProxy made with options.clusters');
    const cluster = resolveCluster(options, 'addCluster(cluster)', this.#clusterUid);
    if (this.#pipelines.has(cluster.name)) throw new InvalidArgumentError(`WatchProxy.addCluster: cluster "${cluster.name}" is already watched`);
    const pipeline = this.#pipeline(cluster);
    this.#pipelines.set(cluster.name, pipeline);
    if (this.#starting === undefined) return;
    // Added while starting: joins once the sinks started and the others are under way.
    await this.#starting;
    if (this.#stopping !== undefined) throw new ClosedError();
    await pipeline.restore();
    this.#logger.info({ cluster: cluster.name }, 'cluster added');
    await pipeline.start();
    if (this.#stopping !== undefined) return;
    await pipeline.activate();
  }

  /**
   * Stops watching cluster `name` without touching the others: its watches stop, its queued changes are sent
   * within `timeoutMs` (default `shutdownTimeoutMs`) and its emit caches written. Its objects are NOT reported as
   * deleted (receivers keep them; adding the cluster back later sends only what changed, deletes included),
   * unless `deleteObjects` is true: then every sink that holds its objects is sent their deletes first.
   * Resolves to false when no such cluster is watched.
   */
  async removeCluster(name: string, options: { readonly deleteObjects?: boolean; readonly timeoutMs?: number } = {}): Promise<boolean> {
    const pipeline = this.#pipelines.get(name);
    if (pipeline === undefined || this.#removing.has(pipeline) || !this.#named) return false;
    if (this.#stopping !== undefined) throw new ClosedError();
    this.#removing.add(pipeline);
    await this.#starting?.catch(() => {});
    await pipeline.stopIntake();
    if (options.deleteObjects === true) {
      const deletes = pipeline.retractAll();
      this.#logger.info({ cluster: name, deletes }, 'cluster removed: deleting its objects at the receivers');
    }
    await this.#drainSlots(pipeline.slots, options.timeoutMs ?? this.#o.shutdownTimeoutMs, true);
    const errors = await pipeline.close();
    for (const error of errors) {
      this.#sinkError(error instanceof StateError ? error : new StateError('WP_ERR_STATE_WRITE', `writing the emit caches of removed cluster "${name}" failed: ${error.message}`, { cause: error }));
    }
    retire(this.#retired, pipeline.stats());
    this.#pipelines.delete(name);
    this.#logger.info({ cluster: name }, 'cluster removed');
    return true;
  }

  /** The names of the clusters watched (with `clusters`); `['']` or the `clusterName` without. */
  get clusters(): readonly string[] {
    return [...this.#pipelines.keys()].filter((name) => {
      const p = this.#pipelines.get(name);
      return p !== undefined && !this.#removing.has(p);
    });
  }

  /**
   * Sends everything queued now, ignoring `emitIntervalMs` (or the adaptive linger), and resolves `true` once all sinks are idle, or
   * `false` if `timeoutMs` passed first (a sink that is down keeps its changes queued). Rejects with
   * `ClosedError` after shutdown.
   */
  async flush(options: { readonly timeoutMs?: number } = {}): Promise<boolean> {
    if (this.#stopping !== undefined) throw new ClosedError();
    return this.#drainSlots(this.#slots, options.timeoutMs ?? Infinity);
  }

  /**
   * Waits until `slots` are idle or `timeoutMs` passed. `keepInterval`: batches keep `emitIntervalMs` meanwhile
   * (shutdown: what does not fit is re-derived from the persisted cache at the next start), else they go back to back.
   */
  #drainSlots(slots: readonly SinkSlot[], timeoutMs: number, keepInterval = false): Promise<boolean> {
    const cuttable = (cut: () => void): void => {
      this.#cutDrain = cut;
    };
    return drainLanes(slots.map((slot) => slot.lane), { timeoutMs, keepInterval, cuttable });
  }

  /** The sinks, in configured order. */
  #sinkList(): Sink[] {
    return this.#sinks.map(({ endpoint }) => endpoint.sink);
  }

  /**
   * Stops intake (watchers), drains queues for up to `timeoutMs` (default `shutdownTimeoutMs`) at the usual pace
   * (one batch per `emitIntervalMs`), aborts what is left (counted as dropped: `shutdown`; with `stateDir` the next
   * start re-sends it from the persisted cache), writes the emit caches, and closes sinks in reverse order.
   * Idempotent: every call gets the same promise. Never rejects.
   */
  shutdown(options: { readonly timeoutMs?: number } = {}): Promise<ShutdownReport> {
    this.#stopping ??= this.#shutdown(options.timeoutMs ?? this.#o.shutdownTimeoutMs);
    return this.#stopping;
  }

  async #shutdown(timeoutMs: number): Promise<ShutdownReport> {
    const began = this.#o.now();
    this.#state = 'stopping';
    const errors: Error[] = [];
    // Stop intake first. While still starting, this is also what lets start() finish: a watch source's start
    // resolves once stopped, and sinks see their start signal abort.
    this.#startAbort.abort(new ClosedError('shut down while starting'));
    const pipelines = [...this.#pipelines.values()];
    const stopped = Promise.all(pipelines.map((p) => p.stopIntake().catch((e: unknown) => void errors.push(asError(e)))));
    await this.#starting?.catch(() => {});
    await stopped;
    // A rate-limited receiver relies on one batch per interval on the way out too; whatever does not fit in the
    // grace period is not recorded as delivered, so the next start re-sends it (or reports its delete) from the cache.
    const drained = this.#destroyed ? false : await this.#drainSlots(this.#slots, timeoutMs, true);
    for (const closed of await Promise.all(pipelines.map((p) => p.close()))) errors.push(...closed);
    const closing = new AbortController();
    const close = { signal: closing.signal, logger: this.#logger };
    if (!this.#sinksClosed) errors.push(...(await closeSinks(this.#sinkList(), close)));
    this.#state = 'stopped';
    const totals = deliveryTotals(this.#retired, [...this.#pipelines.values()].map((p) => p.stats()));
    const report: ShutdownReport = { drained, ...totals, errors, durationMs: this.#o.now() - began };
    this.#logger.info({ drained, delivered: report.delivered, dropped: report.dropped }, 'watch-proxy stopped');
    return report;
  }

  /** Aborts now: cuts the drain short (in-flight sends are aborted) and shuts down. Safe to call any time. */
  destroy(): void {
    this.#destroyed = true;
    this.#cutDrain?.();
    void this.shutdown({ timeoutMs: 0 });
  }

  /** `await using` support: shuts down. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /**
   * Health of every watched resource (synced, stale, state, last error), from the watch sources: what liveness
   * and readiness probes need. With `clusters`, one entry per cluster and resource, each with its `cluster`.
   * Empty before `start()` or when the sources report none.
   */
  watchHealth(): readonly (WatcherHealth & { readonly cluster?: string })[] {
    return [...this.#pipelines.values()].flatMap((p) => (p.cluster.named ? p.health().map((h) => ({ ...h, cluster: p.cluster.name })) : p.health()));
  }

  /** False while a `gate` keeps this replica a standby (or its activation is still loading); true without a gate. */
  get active(): boolean {
    return this.#slots.every((slot) => slot.lane.active);
  }

  /** A cheap snapshot of counters and queue depths. */
  stats(): WatchProxyStats {
    const pipelines = [...this.#pipelines.values()];
    const base = { state: this.#state, rules: ruleStatsByName(this.#o) };
    if (!this.#named) {
      const only = pipelines[0]!.stats();
      const identity = only.clusterUid === undefined ? {} : { clusterUid: only.clusterUid };
      return { ...base, received: only.received, changes: only.changes, dropped: only.dropped, synced: only.synced, sinks: only.sinks, ...identity };
    }
    const clusters: Record<string, ClusterStats> = {};
    for (const p of pipelines) clusters[p.cluster.name] = p.stats();
    const synced = this.#o.resources.map((r) => r.name).filter((name) => pipelines.every((p) => p.synced.includes(name)));
    const { received, changes, dropped, sinks } = sumClusters(this.#retired, Object.values(clusters));
    return { ...base, received, changes, dropped, synced, sinks, clusters };
  }

  /** Emits without ever letting a listener's exception escape into the pipeline. */
  #emit<E extends keyof WatchProxyEvents>(event: E, ...args: WatchProxyEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: WatchProxyEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.#report(new ListenerError(event, { cause: error }));
    }
  }

  /** A send, close or state failure of a sink: the `sinkError` event, then `onError`. */
  #sinkError(error: WatchProxyError): void {
    this.#emit('sinkError', error);
    this.#report(error);
  }

  #report(error: WatchProxyError): void {
    try {
      if (this.#o.onError !== undefined) this.#o.onError(error);
      else this.#logger.error({ code: error.code, err: error.message }, 'watch-proxy error');
    } catch {
      // onError itself failed: nothing left to tell, and the pipeline must go on.
    }
  }
}
