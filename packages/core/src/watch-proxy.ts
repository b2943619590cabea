import { EventEmitter } from 'eventemitter3';
import { CachePersister } from './cache/cache-persister.js';
import { ClusterStoreWriter } from './cache/cluster-store-writer.js';
import { EmitCache } from './cache/emit-cache.js';
import { DeltaEngine } from './delta/delta-engine.js';
import { objectKey } from './delta/object-key.js';
import { MAX_OBJECT_DEPTH } from './delta/projection.js';
import { DeadLetterFile, deadLetterFilePath } from './deliver/dead-letter-file.js';
import type { Admission } from './deliver/lane-backlog.js';
import type { LaneStats } from './deliver/lane-contract.js';
import { SinkLane } from './deliver/sink-lane.js';
import type { RuleStats } from './expression/expression-rule.js';
import { ClosedError, SinkStartError, StateError, WatchProxyError } from './errors.js';
import { kubeWatchSource } from './watch/kube-watch-source.js';
import { isOwnState, type OwnStatePredicate } from './internal/own-state.js';
import type { Logger } from './logger.js';
import { resolveOptions, type ResolvedOptions, type WatchProxyOptions, type WatchSource } from './options.js';
import { EndpointExpressions, type Judgement } from './route/endpoint-expressions.js';
import { Route } from './route/route.js';
import type { Sink } from './sink/sink.js';
import type { Batch, Change, DropReason, KubeObject } from './types.js';
import type { WatcherHealth } from './watch/resource-watcher.js';
import type { ResolvedResource, WatchEvent, WatchHandlers } from './watch/watch-event.js';
import { setLongTimeout } from './internal/long-timeout.js';
import type { LongTimer } from './internal/long-timeout.js';

/** Lifecycle states; see `WatchProxy`. */
export type WatchProxyState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** A batch a sink confirmed. */
export interface EmittedInfo {
  readonly sink: string;
  readonly batch: Batch;
  /** 1 when the first attempt succeeded. */
  readonly attempts: number;
}

/** Changes that were not (or will never be) delivered, and why. `sink` is undefined for pipeline-wide drops. */
export interface DroppedInfo {
  readonly sink: string | undefined;
  readonly reason: DropReason;
  readonly keys: readonly string[];
}

/** A failed attempt that will be retried after `delayMs`. */
export interface RetryInfo {
  readonly sink: string;
  readonly batchId: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}

/** A complete list of one resource was processed. `deletes` counts missed deletes found, over all sinks. */
export interface SyncedInfo {
  readonly resource: string;
  readonly objects: number;
  readonly deletes: number;
}

/** The events of a `WatchProxy`, typed. Listeners that throw are isolated and reported through `onError`. */
export interface WatchProxyEvents {
  /**
   * A change left the delta engine (before routing, and before each sink decides whether an add is an update to
   * it and so whether `filterEvents` or the add delay drops it). High volume.
   */
  change: [change: Change];
  emitted: [info: EmittedInfo];
  dropped: [info: DroppedInfo];
  retrying: [info: RetryInfo];
  synced: [info: SyncedInfo];
  /** A watch failed; the watcher retries by itself. */
  watchError: [error: WatchProxyError, resource: string];
  /** A send failed (`SinkError`), or the emit cache could not be written (`StateError`). */
  sinkError: [error: WatchProxyError];
}

/** A snapshot for metrics. Counters are monotonic since construction. */
export interface WatchProxyStats {
  readonly state: WatchProxyState;
  /** Watch events received, over all resources. */
  readonly received: number;
  /** Changes that left the delta engine. */
  readonly changes: number;
  /** Pipeline-wide drops (before routing), by reason. Per-sink drops are in `sinks`. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Resources whose first complete list was processed. */
  readonly synced: readonly string[];
  readonly sinks: Readonly<Record<string, LaneStats>>;
  /**
   * Every configured expression by name (`resource/<resource>/filter`, `sink/<sink>/filter|updateFilter|transform`):
   * objects it let through, dropped, and failed on (counted as not matching).
   */
  readonly rules: Readonly<Record<string, RuleStats>>;
}

/** What `shutdown()` resolves to. */
export interface ShutdownReport {
  /** True when every queue drained before the deadline. */
  readonly drained: boolean;
  /** Changes delivered over the proxy's life, all sinks. */
  readonly delivered: number;
  /** Changes dropped over the proxy's life, pipeline-wide and per sink, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Failures while stopping (a sink's close, the last cache write). */
  readonly errors: readonly Error[];
  readonly durationMs: number;
}

interface SinkSlot {
  readonly sink: Sink;
  readonly route: Route;
  /** The sink's filter, updateFilter and transform; undefined when it has none. */
  readonly expressions: EndpointExpressions | undefined;
  readonly lane: SinkLane;
  readonly cache: EmitCache;
  readonly persister: CachePersister | undefined;
  /** Saves the cache to the shared store while this replica leads (`sharedCache`). */
  readonly writer: ClusterStoreWriter | undefined;
  /** Whether a persisted cache was loaded: the first sync then reports deletes as `restart`. */
  restored: boolean;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

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
  readonly #delta: DeltaEngine;
  readonly #ownState: OwnStatePredicate | undefined;
  readonly #slots: readonly SinkSlot[];
  /** Resources with a `filter`: their changes come and go from every sink's set. */
  readonly #filteredResources: ReadonlySet<string>;
  readonly #dropped: Partial<Record<DropReason, number>> = {};
  readonly #synced = new Set<string>();
  #state: WatchProxyState = 'idle';
  #received = 0;
  #changes = 0;
  #source: WatchSource | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<ShutdownReport> | undefined;
  /** Aborts sink start-up (their `start(ctx)` signal) when shut down or destroyed while starting. */
  readonly #startAbort = new AbortController();
  /** Cuts a drain short (destroy). */
  #cutDrain: (() => void) | undefined;
  #destroyed = false;
  /** Set when a failed start already closed the sinks: shutdown must not close them twice. */
  #sinksClosed = false;
  /** Bumped on every gate transition: an activation still loading the shared cache gives up when it moved. */
  #gateEpoch = 0;
  #activating: Promise<void> | undefined;
  #unsubscribeGate: (() => void) | undefined;

  constructor(options: WatchProxyOptions) {
    super();
    this.#o = resolveOptions(options);
    const o = this.#o;
    const store = o.sharedCache;
    this.#ownState = store?.owns === undefined ? undefined : (namespace, name) => store.owns?.(namespace, name) === true;
    this.#logger = o.logger.child({ component: 'watch-proxy' });
    this.#delta = new DeltaEngine({
      clusterName: o.clusterName,
      ignoreNamespaces: new Set(o.ignoreNamespaces),
      delayAddEventMs: o.delayAddEventMs,
      resources: new Map(o.resources.map((r) => [r.name, r.settings])),
      now: o.now,
      ownState: this.#ownState,
    });
    this.#filteredResources = new Set(o.resources.filter((r) => r.settings.filter !== undefined).map((r) => r.name));
    const hooks = {
      emitted: (sink: string, batch: Batch, attempts: number) => this.#emit('emitted', { sink, batch, attempts }),
      dropped: (sink: string, changes: readonly Change[], reason: DropReason) => {
        this.#emit('dropped', { sink, reason, keys: changes.map((c) => c.key) });
      },
      retrying: (sink: string, info: Omit<RetryInfo, 'sink'>) => this.#emit('retrying', { sink, ...info }),
      error: (error: WatchProxyError) => {
        this.#emit('sinkError', error);
        this.#report(error);
      },
    };
    this.#slots = o.sinks.map(({ sink, namespaces, resourceTypes, rules }) => {
      const cache = new EmitCache({ ttlMs: o.emitCacheDurationMs, now: o.now });
      const logger = o.logger.child({ sink: sink.name });
      // Set once the lane exists (the writer's fence reads the lane, the lane's beforeSend calls the writer).
      let writer: ClusterStoreWriter | undefined = undefined;
      const persister =
        o.stateDir === undefined
          ? undefined
          : new CachePersister({
              stateDir: o.stateDir,
              sinkName: sink.name,
              cache,
              logger,
              intervalMs: o.persistIntervalMs,
              now: o.now,
              onError: (error) => {
                const wrapped = new StateError(`writing the emit cache of sink "${sink.name}" failed: ${error.message}`, { cause: error });
                this.#emit('sinkError', wrapped);
                this.#report(wrapped);
              },
            });
      const lane = new SinkLane({
        sink,
        cache,
        logger,
        emitIntervalMs: o.emitIntervalMs,
        maxObjects: Math.min(o.emitBatchMaxObjects, sink.limits?.maxItems ?? Infinity),
        maxBytes: Math.min(o.emitBatchMaxBytes, sink.limits?.maxBytes ?? Infinity),
        attemptTimeoutMs: o.attemptTimeoutMs,
        rejectedRetryMs: o.rejectedRetryIntervalMs,
        deadLetter:
          o.stateDir === undefined
            ? undefined
            : new DeadLetterFile({
                path: deadLetterFilePath(o.stateDir, sink.name),
                onError: (error) => {
                  const wrapped = new StateError(`writing the dead-letter file of sink "${sink.name}" failed: ${error.message}`, { cause: error });
                  this.#emit('sinkError', wrapped);
                  this.#report(wrapped);
                },
              }),
        abortGraceMs: o.abortGraceMs,
        retry: o.retry,
        now: o.now,
        random: o.random,
        hooks,
        mayDeliver: o.gate === undefined ? undefined : () => o.gate?.open === true,
        handoverWindowMs: o.handoverWindowMs,
        // Journalled (and, with a cluster store, recorded there) before the send: a crash during it must not make the
        // restarted daemon forget the object.
        beforeSend:
          persister === undefined && o.sharedCache === undefined
            ? undefined
            : async (batch) => {
                await Promise.all([persister?.intend(batch), writer?.intend(batch)]);
              },
        cancelAddDelete: o.cancelAddDelete,
      });
      // With a gate, every replica starts as a standby; the gate's first `true` activates.
      if (o.gate !== undefined) lane.setActive(false);
      const gate = o.gate;
      writer =
        o.sharedCache === undefined
          ? undefined
          : new ClusterStoreWriter({
              store: o.sharedCache,
              sinkName: sink.name,
              cache,
              intervalMs: o.sharedCacheIntervalMs,
              mayWrite: () => lane.active && (gate === undefined || gate.open),
              now: o.now,
              logger,
              onError: (error) => {
                const wrapped = new StateError(`saving the shared emit cache of sink "${sink.name}" failed: ${error.message}`, { cause: error });
                this.#emit('sinkError', wrapped);
                this.#report(wrapped);
              },
              onIntentError: (error) => {
                const wrapped = new StateError(
                  `recording what is about to be sent to sink "${sink.name}" in the cluster state store failed (sent anyway; a crash before the next save may miss deletes): ${error.message}`,
                  { cause: error },
                );
                this.#emit('sinkError', wrapped);
                this.#report(wrapped);
              },
            });
      const expressions =
        rules.filter === undefined && rules.updateFilter === undefined && rules.transform === undefined ? undefined : new EndpointExpressions(rules);
      return { sink, route: new Route({ namespaces, resourceTypes }), expressions, lane, cache, persister, writer, restored: false };
    });
  }

  /** Where the proxy is in its lifecycle. */
  get state(): WatchProxyState {
    return this.#state;
  }

  /**
   * Loads persisted emit caches, runs every sink's `start()` (in parallel), then starts the watchers, and resolves
   * once every resource's first list was processed. Rejects with `SinkStartError` if a sink fails to start,
   * and with `ClosedError` after shutdown. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#stopping !== undefined) return Promise.reject(new ClosedError());
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    const lifecycle = { signal: this.#startAbort.signal, logger: this.#logger };
    const started: SinkSlot[] = [];
    try {
      await Promise.all(
        this.#slots.map(async (slot) => {
          if (slot.persister !== undefined) slot.restored = await slot.persister.load();
          // Without leader election, the cluster store is this replica's own state: what a replacement pod (an
          // empty state directory) starts from. Merged with the disk's, which a restarted container still has.
          if (this.#o.sharedCache !== undefined && this.#o.gate === undefined) {
            const stored = await this.#o.sharedCache.load(slot.sink.name).catch((error: unknown) => {
              const wrapped = new StateError(`loading the cluster state of sink "${slot.sink.name}" failed: ${asError(error).message}`, { cause: error });
              this.#emit('sinkError', wrapped);
              this.#report(wrapped);
              return undefined;
            });
            if (stored !== undefined) {
              for (const [key, entry] of stored) slot.cache.merge(key, entry);
              slot.restored = true;
              this.#logger.info({ sink: slot.sink.name, entries: stored.size }, 'emit cache loaded from the cluster state store');
            }
          }
        }),
      );
      const results = await Promise.allSettled(
        this.#slots.map(async (slot) => {
          try {
            await slot.sink.start?.({ ...lifecycle, logger: this.#o.logger.child({ sink: slot.sink.name }) });
          } catch (error) {
            throw new SinkStartError(slot.sink.name, { cause: error });
          }
          started.push(slot);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (this.#stopping !== undefined) throw new ClosedError('shut down while starting');
      for (const slot of this.#slots) {
        slot.lane.start();
        slot.persister?.start();
      }
      const init = {
        resources: this.#o.resources.map(({ settings: _settings, ...watched }) => watched),
        logger: this.#o.logger,
        onError: (error: WatchProxyError, resource: string) => {
          this.#emit('watchError', error, resource);
          this.#report(error);
        },
      };
      const tuning = { watchdogs: this.#o.watchdogs, clock: { now: this.#o.now, random: this.#o.random } };
      const factory = this.#o.watchSource ?? kubeWatchSource(this.#o.kubeConfig as NonNullable<ResolvedOptions['kubeConfig']>, tuning);
      this.#source = factory(init);
      const startedAt = this.#o.now();
      for (const r of this.#o.resources) this.#delta.markWatchStarted(r.name, Math.min(startedAt, this.#o.watchedSince.get(r.name) ?? startedAt));
      await this.#source.start(this.#handlers());
      if (this.#stopping !== undefined) throw new ClosedError('shut down while starting');
      this.#state = 'running';
      this.#logger.info({ resources: this.#o.resources.length, sinks: this.#slots.length }, 'watch-proxy running');
      const gate = this.#o.gate;
      if (gate !== undefined) {
        this.#unsubscribeGate = gate.onChange((open) => this.#onGate(open));
        if (gate.open) {
          // start() resolves with delivery taken over, so a leader is active from its first event on.
          this.#onGate(true);
          await this.#activating;
        }
      } else if (this.#o.sharedCache !== undefined) {
        for (const slot of this.#slots) slot.writer?.start();
      }
    } catch (error) {
      this.#state = 'failed';
      this.#sinksClosed = true;
      // Undo what did start, so a failed start leaves no timers, sockets or watches behind.
      await this.#source?.stop().catch(() => {});
      await Promise.allSettled(this.#slots.map((slot) => slot.lane.close()));
      await Promise.allSettled(this.#slots.map((slot) => slot.persister?.stop()));
      await Promise.allSettled(started.reverse().map((slot) => slot.sink.close?.(lifecycle)));
      throw error;
    }
  }

  /**
   * Sends everything queued now, ignoring `emitIntervalMs` (or the adaptive linger), and resolves `true` once all sinks are idle, or
   * `false` if `timeoutMs` passed first (a sink that is down keeps its changes queued). Rejects with
   * `ClosedError` after shutdown.
   */
  async flush(options: { readonly timeoutMs?: number } = {}): Promise<boolean> {
    if (this.#stopping !== undefined) throw new ClosedError();
    return this.#drain(options.timeoutMs ?? Infinity);
  }

  /**
   * Waits until every lane is idle or `timeoutMs` passed. `keepInterval`: batches keep `emitIntervalMs` meanwhile
   * (shutdown: what does not fit is re-derived from the persisted cache at the next start), else they go back to back.
   */
  async #drain(timeoutMs: number, keepInterval = false): Promise<boolean> {
    const options = { keepInterval };
    if (timeoutMs === Infinity) return Promise.all(this.#slots.map((slot) => slot.lane.flush(undefined, options))).then(() => true);
    // Aborted when the deadline wins, so the lanes stop flushing (skipping the interval) once nobody waits.
    const giveUp = new AbortController();
    const all = Promise.all(this.#slots.map((slot) => slot.lane.flush(giveUp.signal, options))).then(() => true);
    let timer: LongTimer | undefined;
    const stopEarly = new Promise<boolean>((resolve) => {
      timer = setLongTimeout(() => resolve(false), timeoutMs).unref();
      this.#cutDrain = () => resolve(false);
    });
    try {
      return await Promise.race([all, stopEarly]);
    } finally {
      timer?.clear();
      giveUp.abort();
    }
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
    this.#unsubscribeGate?.();
    await this.#activating;
    const stopped = this.#source?.stop().catch((e: unknown) => void errors.push(asError(e)));
    await this.#starting?.catch(() => {});
    await stopped;
    // A rate-limited receiver relies on one batch per interval on the way out too; whatever does not fit in the
    // grace period is not recorded as delivered, so the next start re-sends it (or reports its delete) from the cache.
    const drained = this.#destroyed ? false : await this.#drain(timeoutMs, true);
    await Promise.all(this.#slots.map((slot) => slot.lane.close()));
    for (const slot of this.#slots) slot.writer?.stop();
    // The last shared save, only while still the holder (the writer checks); the next leader starts from it.
    await Promise.all(this.#slots.map((slot) => slot.writer?.save()));
    for (const result of await Promise.allSettled(this.#slots.map((slot) => slot.persister?.stop()))) {
      if (result.status === 'rejected') errors.push(asError(result.reason));
    }
    const closing = new AbortController();
    const close = { signal: closing.signal, logger: this.#logger };
    if (!this.#sinksClosed) {
      for (const slot of [...this.#slots].reverse()) {
        try {
          await slot.sink.close?.(close);
        } catch (error) {
          errors.push(new WatchProxyError('WP_ERR_SINK_SEND', `sink "${slot.sink.name}" failed to close`, { cause: error }));
        }
      }
    }
    this.#state = 'stopped';
    const report = this.#report$(drained, errors, this.#o.now() - began);
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
   * Health of every watched resource (synced, stale, state, last error), from the watch source: what liveness
   * and readiness probes need. Empty before `start()` or when the source reports none.
   */
  watchHealth(): readonly WatcherHealth[] {
    return this.#source?.health?.() ?? [];
  }

  /** False while a `gate` keeps this replica a standby (or its activation is still loading); true without a gate. */
  get active(): boolean {
    return this.#slots.every((slot) => slot.lane.active);
  }

  /** Gate transitions. Standing down is synchronous: every attempt in flight is aborted before this returns. */
  #onGate(open: boolean): void {
    this.#gateEpoch++;
    if (this.#stopping !== undefined) return;
    if (!open) {
      for (const slot of this.#slots) {
        slot.writer?.stop();
        slot.lane.setActive(false);
      }
      this.#logger.info({}, 'standby: delivering nothing, watches kept warm');
      return;
    }
    const epoch = this.#gateEpoch;
    const previous = this.#activating ?? Promise.resolve();
    this.#activating = previous.then(() => this.#activate(epoch)).catch((error: unknown) => {
      this.#report(new WatchProxyError('WP_ERR_INVALID_ARG', 'taking over delivery failed', { cause: error }));
    });
  }

  /**
   * Takes over delivery: loads what the receivers hold from the shared cache (when there is one), then
   * resumes the lanes (which queue the deletes remembered while standby), replays every current object (only
   * what differs from the loaded cache is queued) and reconciles (cached objects that are gone are deleted).
   */
  async #activate(epoch: number): Promise<void> {
    const shared = this.#o.sharedCache;
    const loaded = await Promise.all(
      this.#slots.map(async (slot) => {
        if (shared === undefined) return undefined;
        try {
          return await shared.load(slot.sink.name);
        } catch (error) {
          const wrapped = new StateError(`loading the shared emit cache of sink "${slot.sink.name}" failed: ${(error as Error).message}`, { cause: error });
          this.#emit('sinkError', wrapped);
          this.#report(wrapped);
          return undefined;
        }
      }),
    );
    if (epoch !== this.#gateEpoch || this.#stopping !== undefined || this.#o.gate?.open === false) return;
    this.#slots.forEach((slot, i) => {
      const entries = loaded[i];
      if (entries === undefined) return;
      slot.cache.clear();
      for (const [key, entry] of entries) slot.cache.restore(key, entry);
    });
    for (const slot of this.#slots) slot.lane.setActive(true);
    const snapshot = this.#source?.snapshot?.();
    let deletes = 0;
    if (snapshot === undefined) {
      this.#logger.warn({}, 'the watch source cannot replay its objects: only changes from now on are sent');
    } else {
      for (const { resource, objects } of snapshot) {
        for (const object of objects) this.#onEvent(resource, { type: 'update', object, resync: true });
        const present = this.#presentKeys(resource, objects);
        for (const slot of this.#slots) deletes += slot.lane.reconcile(resource.name, present, 'restart', this.#admission(slot, resource));
      }
    }
    for (const slot of this.#slots) slot.writer?.start();
    this.#logger.info({ sharedCache: shared !== undefined, deletes }, 'leader: delivering what the receivers miss');
  }

  /**
   * What `slot`'s endpoint may receive of `resource`, decided on the event it would receive (see `Admission`):
   * its route, then `ignoreNamespaces`, `filterEvents` and the add delay; a delete the lane built from the
   * endpoint's emit cache is shaped by today's `pruneFields` and redaction. The configuration may have changed
   * since the object was delivered (a reload or restart), so none of this can be assumed from the cache.
   */
  #admission(slot: SinkSlot, resource: ResolvedResource): Admission {
    const expressions = slot.expressions;
    return (change) => {
      if (!slot.route.matches(change, resource)) return 'unrouted';
      const refused = this.#delta.admit(resource, change);
      if (refused !== undefined) return refused;
      if (change.event === 'update' && expressions?.judgesUpdates === true) {
        const unwanted = expressions.admitUpdate(change, slot.lane.lastState(change.key), resource);
        if (unwanted !== undefined) return unwanted;
      }
      // A transformed state is the sink's own data, not an object to prune and redact.
      if (change.event !== 'delete' || change.synthesized === undefined || expressions?.transforms === true) return change;
      return this.#delta.reshape(resource, change);
    };
  }

  #presentKeys(resource: ResolvedResource, objects: readonly KubeObject[]): Set<string> {
    const present = new Set<string>();
    for (const object of objects) {
      // Never sent, so not present for a receiver either: one that got a cache shard before they were filtered
      // (an upgrade) gets its delete instead of keeping a copy that no longer changes.
      if (isOwnState(resource, object, this.#ownState)) continue;
      const metadata = object['metadata'] as { name?: unknown; namespace?: unknown } | undefined;
      const name = typeof metadata?.name === 'string' ? metadata.name : '';
      const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : '';
      present.add(objectKey(resource.name, namespace, name));
    }
    return present;
  }

  /** A cheap snapshot of counters and queue depths. */
  stats(): WatchProxyStats {
    const sinks: Record<string, LaneStats> = {};
    for (const slot of this.#slots) sinks[slot.sink.name] = slot.lane.stats();
    return {
      state: this.#state,
      received: this.#received,
      changes: this.#changes,
      dropped: { ...this.#dropped },
      synced: [...this.#synced],
      sinks,
      rules: this.#ruleStats(),
    };
  }

  #ruleStats(): Record<string, RuleStats> {
    const rules: Record<string, RuleStats> = {};
    for (const { settings } of this.#o.resources) if (settings.filter !== undefined) rules[settings.filter.name] = settings.filter.stats();
    for (const { rules: own } of this.#o.sinks) {
      for (const rule of [own.filter, own.updateFilter, own.transform]) if (rule !== undefined) rules[rule.name] = rule.stats();
    }
    return rules;
  }

  #report$(drained: boolean, errors: readonly Error[], durationMs: number): ShutdownReport {
    const dropped: Partial<Record<DropReason, number>> = { ...this.#dropped };
    let delivered = 0;
    for (const slot of this.#slots) {
      const stats = slot.lane.stats();
      delivered += stats.delivered;
      for (const [reason, n] of Object.entries(stats.dropped) as [DropReason, number][]) dropped[reason] = (dropped[reason] ?? 0) + n;
    }
    return { drained, delivered, dropped, errors, durationMs };
  }

  #handlers(): WatchHandlers {
    return {
      onEvent: (resource, event) => this.#onEvent(resource, event),
      onSynced: (resource, objects) => this.#onSynced(resource, objects),
      // Projection and fingerprint of listed objects while the next pages download, not all after the last one.
      onListItem: (resource, object) => {
        if (this.#stopping === undefined) this.#delta.prepare(resource, object);
      },
    };
  }

  #onEvent(resource: ResolvedResource, event: WatchEvent): void {
    if (this.#stopping !== undefined) return;
    this.#received++;
    try {
      const outcome = this.#delta.process(resource, event);
      if (outcome.kind === 'dropped') {
        this.#dropped[outcome.reason] = (this.#dropped[outcome.reason] ?? 0) + 1;
        this.#emit('dropped', { sink: undefined, reason: outcome.reason, keys: [outcome.key] });
        if (outcome.reason === 'too-deep') {
          this.#logger.warn({ key: outcome.key, event: event.type, maxDepth: MAX_OBJECT_DEPTH }, 'object nested too deeply to deliver: dropped (counted as too-deep)');
        }
        if (outcome.reason === 'filtered-event' && event.type === 'delete') {
          // No endpoint hears of this delete: none may find the object missing later and decide about it again.
          const uid = (event.object['metadata'] as { uid?: unknown } | undefined)?.uid;
          for (const slot of this.#slots) slot.lane.forget(outcome.key, typeof uid === 'string' ? uid : '');
        }
        return;
      }
      this.#changes++;
      const { change, inSet } = outcome;
      this.#emit('change', change);
      const resourceFiltered = this.#filteredResources.has(resource.name);
      for (const slot of this.#slots) {
        if (!slot.route.matches(change, resource)) continue;
        const admit = this.#admission(slot, resource);
        const judged: Judgement =
          slot.expressions !== undefined ? slot.expressions.judge(change, resource, inSet) : inSet === true ? { kind: 'offer', change } : { kind: 'withdraw', reason: inSet };
        if (judged.kind === 'withdraw') slot.lane.withdraw(change, judged.reason, admit);
        else slot.lane.offer(judged.change, admit, { entersSet: resourceFiltered || slot.expressions?.filters === true });
      }
    } catch (error) {
      // Should be impossible (every stage is total), but a watcher callback must never see an exception.
      this.#report(new WatchProxyError('WP_ERR_INVALID_ARG', `processing an event of ${resource.name} failed`, { cause: error }));
    }
  }

  #onSynced(resource: ResolvedResource, objects: readonly KubeObject[]): void {
    if (this.#stopping !== undefined) return;
    try {
      const present = this.#presentKeys(resource, objects);
      const first = !this.#synced.has(resource.name);
      let deletes = 0;
      for (const slot of this.#slots) {
        deletes += slot.lane.reconcile(resource.name, present, first && slot.restored ? 'restart' : 'relist', this.#admission(slot, resource));
      }
      this.#synced.add(resource.name);
      if (deletes > 0) this.#logger.info({ resource: resource.name, deletes }, 'sending deletes missed while not watching');
      this.#emit('synced', { resource: resource.name, objects: objects.length, deletes });
    } catch (error) {
      this.#report(new WatchProxyError('WP_ERR_INVALID_ARG', `reconciling ${resource.name} failed`, { cause: error }));
    }
  }

  /** Emits without ever letting a listener's exception escape into the pipeline. */
  #emit<E extends keyof WatchProxyEvents>(event: E, ...args: WatchProxyEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: WatchProxyEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.#report(new WatchProxyError('WP_ERR_INVALID_ARG', `a "${event}" listener threw`, { cause: error }));
    }
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
