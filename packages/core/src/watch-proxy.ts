import { EventEmitter } from 'eventemitter3';
import { DeltaEngine } from './delta/delta-engine.js';
import { presentKeys } from './delta/present-keys.js';
import { MAX_OBJECT_DEPTH } from './delta/projection.js';
import type { LaneStats } from './deliver/lane-contract.js';
import { createSinkSlot, restoreSinkSlot, type SinkSlot } from './deliver/sink-slot.js';
import type { RuleStats } from './expression/expression-rule.js';
import { ClosedError, InternalError, ListenerError, SinkCloseError, SinkStartError, type StateError, type WatchProxyError } from './errors.js';
import { asError } from './internal/as-error.js';
import { kubeWatchSource } from './watch/kube-watch-source.js';
import type { OwnStatePredicate } from './internal/own-state.js';
import { setLongTimeout, type LongTimer } from './internal/long-timeout.js';
import { LeaderActivation } from './leader-activation.js';
import type { Logger } from './logger.js';
import type { WatchProxyOptions } from './options.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';
import { dispatchChange, sinkAdmission } from './sink-dispatch.js';
import type { Batch, Change, DropReason, KubeObject } from './types.js';
import type { WatcherHealth } from './watch/resource-watcher.js';
import type { WatchSource } from './watch/watch-source.js';
import type { ResolvedResource, WatchEvent, WatchHandlers } from './watch/watch-event.js';
import type { RetryInfo, ShutdownReport, WatchProxyEvents, WatchProxyState, WatchProxyStats } from './watch-proxy-types.js';

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
  /** Follows the `gate`; undefined without one. */
  readonly #leader: LeaderActivation | undefined;

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
      error: (error: WatchProxyError) => this.#sinkError(error),
    };
    const onStateError = (error: StateError): void => this.#sinkError(error);
    this.#slots = o.sinks.map((endpoint) => createSinkSlot(endpoint, o, { hooks, onStateError }));
    this.#leader =
      o.gate === undefined
        ? undefined
        : new LeaderActivation({
            gate: o.gate,
            sharedCache: o.sharedCache,
            slots: this.#slots,
            logger: this.#logger,
            stopping: () => this.#stopping !== undefined,
            snapshot: () => this.#source?.snapshot?.(),
            replay: (resource, object) => this.#onEvent(resource, { type: 'update', object, resync: true }),
            reconcile: (resource, objects) => this.#reconcile(resource, objects, () => 'restart'),
            onStateError,
            report: (error) => this.#report(error),
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
        // Without leader election, the cluster store is this replica's own state (see restoreSinkSlot).
        this.#slots.map((slot) => restoreSinkSlot(slot, this.#o.gate === undefined ? this.#o.sharedCache : undefined, this.#logger, (error) => this.#sinkError(error))),
      );
      const results = await Promise.allSettled(
        this.#slots.map(async (slot) => {
          try {
            await slot.sink.start?.({ ...lifecycle, logger: this.#o.logger.child({ sink: slot.sink.name }) });
          } catch (error) {
            // A sink that says why it cannot start is passed on as it is, not wrapped in a second 'failed to start'.
            throw error instanceof SinkStartError && error.sink === slot.sink.name ? error : new SinkStartError(slot.sink.name, { cause: error });
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
      if (this.#leader !== undefined) {
        await this.#leader.start();
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
    await this.#leader?.stop();
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
          errors.push(new SinkCloseError(slot.sink.name, { cause: error }));
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

  /** Reconciles every slot against a complete list of `resource`; returns the deletes queued. */
  #reconcile(resource: ResolvedResource, objects: readonly KubeObject[], reason: (slot: SinkSlot) => 'relist' | 'restart'): number {
    const present = presentKeys(resource, objects, this.#ownState);
    let deletes = 0;
    for (const slot of this.#slots) deletes += slot.lane.reconcile(resource.name, present, reason(slot), sinkAdmission(slot, resource, this.#delta));
    return deletes;
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
      dispatchChange(this.#slots, resource, change, inSet, this.#filteredResources.has(resource.name), this.#delta);
    } catch (error) {
      // Should be impossible (every stage is total), but a watcher callback must never see an exception.
      this.#report(new InternalError(`processing an event of ${resource.name} failed`, { cause: error }));
    }
  }

  #onSynced(resource: ResolvedResource, objects: readonly KubeObject[]): void {
    if (this.#stopping !== undefined) return;
    try {
      const first = !this.#synced.has(resource.name);
      const deletes = this.#reconcile(resource, objects, (slot) => (first && slot.restored ? 'restart' : 'relist'));
      this.#synced.add(resource.name);
      if (deletes > 0) this.#logger.info({ resource: resource.name, deletes }, 'sending deletes missed while not watching');
      this.#emit('synced', { resource: resource.name, objects: objects.length, deletes });
    } catch (error) {
      this.#report(new InternalError(`reconciling ${resource.name} failed`, { cause: error }));
    }
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
