import { clusterNamespacedStore, clusterStateDir } from './cache/cluster-namespace.js';
import type { SharedCacheStore } from './cache/cluster-store.js';
import { DeltaEngine } from './delta/delta-engine.js';
import { presentKeys } from './delta/present-keys.js';
import { MAX_OBJECT_DEPTH } from './delta/projection.js';
import { clusterSink, type SinkTurns } from './deliver/cluster-sink.js';
import type { LaneStats } from './deliver/lane-contract.js';
import { createSinkSlot, restoreSinkSlot, type SinkSlot } from './deliver/sink-slot.js';
import { ClusterIdentity } from './cluster-identity.js';
import { InternalError, type StateError, type WatchProxyError } from './errors.js';
import { readClusterUid } from './kube/cluster-uid.js';
import type { OwnStatePredicate } from './internal/own-state.js';
import { LeaderActivation } from './leader-activation.js';
import type { Logger } from './logger.js';
import type { ResolvedCluster } from './resolve-clusters.js';
import type { ResolvedOptions } from './resolve-options.js';
import { dispatchChange, sinkAdmission } from './sink-dispatch.js';
import type { Sink } from './sink/sink.js';
import type { Batch, BatchCluster, Change, DropReason, KubeObject } from './types.js';
import { kubeWatchSource } from './watch/kube-watch-source.js';
import type { WatcherHealth } from './watch/watcher-health.js';
import type { WatchSource } from './watch/watch-source.js';
import type { ResolvedResource, WatchEvent, WatchHandlers } from './watch/watch-event.js';
import type { ClusterStats, RetryInfo, WatchProxyEvents } from './watch-proxy-types.js';

/** One sink as the proxy holds it: the sink, its resolved settings, and its turns among the clusters. */
export interface SharedSink {
  readonly endpoint: ResolvedOptions['sinks'][number];
  readonly turns: SinkTurns;
}

/** What a cluster pipeline reports to, and asks of, the `WatchProxy` that owns it. */
export interface ClusterPipelineHost {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly ownState: OwnStatePredicate | undefined;
  /** Emits a proxy event (listener exceptions already isolated). */
  readonly emit: <E extends keyof WatchProxyEvents>(event: E, ...args: WatchProxyEvents[E]) => void;
  /** A send, close or state failure of a sink: `sinkError`, then `onError`. */
  readonly sinkError: (error: WatchProxyError) => void;
  readonly report: (error: WatchProxyError) => void;
  /** True once this pipeline (or the whole proxy) is being stopped: events are ignored from then on. */
  readonly stopping: () => boolean;
}

/**
 * Everything that watches one cluster and delivers its changes: its watch source, delta engine (its `uniqueId`
 * prefix) and one slot per sink that takes this cluster (lane, emit cache, journal under the cluster's own state
 * namespace). Clusters share only the sinks, whose sends take turns. A proxy without `clusters` has exactly one,
 * unnamed: its sinks are used as they are and its state sits where it always did.
 */
export class ClusterPipeline {
  readonly cluster: ResolvedCluster;
  readonly slots: readonly SinkSlot[];
  readonly #host: ClusterPipelineHost;
  readonly #logger: Logger;
  readonly #delta: DeltaEngine;
  readonly #filteredResources: ReadonlySet<string>;
  readonly #dropped: Partial<Record<DropReason, number>> = {};
  readonly #synced = new Set<string>();
  /** Resources relisted for a takeover: their next complete list reconciles as a restart. */
  readonly #takingOver = new Set<string>();
  readonly #sharedCache: SharedCacheStore | undefined;
  readonly #leader: LeaderActivation | undefined;
  #received = 0;
  #changes = 0;
  #source: WatchSource | undefined;
  /** What this cluster's batches are stamped with; gets `uid` once `#identity` read it. */
  #batchCluster: BatchCluster;
  /** With `clusterUid`: reads it; the lanes start once it is known. */
  readonly #identity: ClusterIdentity | undefined;

  constructor(cluster: ResolvedCluster, sinks: readonly SharedSink[], host: ClusterPipelineHost) {
    this.cluster = cluster;
    this.#host = host;
    const o = host.options;
    const named = cluster.named;
    this.#logger = named ? host.logger.child({ cluster: cluster.name }) : host.logger;
    this.#delta = new DeltaEngine({
      clusterName: cluster.name,
      ignoreNamespaces: new Set(o.ignoreNamespaces),
      delayAddEventMs: o.delayAddEventMs,
      resources: new Map(o.resources.map((r) => [r.name, r.settings])),
      now: o.now,
      ownState: host.ownState,
    });
    this.#filteredResources = new Set(o.resources.filter((r) => r.settings.filter !== undefined).map((r) => r.name));
    this.#sharedCache = named && o.sharedCache !== undefined ? clusterNamespacedStore(o.sharedCache, cluster.name) : o.sharedCache;
    // Events of a named cluster say which; an unnamed one's are as they always were.
    const tag = named ? { cluster: cluster.name } : {};
    const hooks = {
      emitted: (sink: string, batch: Batch, attempts: number) => host.emit('emitted', { sink, batch, attempts, ...tag }),
      dropped: (sink: string, changes: readonly Change[], reason: DropReason) => {
        host.emit('dropped', { sink, reason, keys: changes.map((c) => c.key), ...tag });
      },
      retrying: (sink: string, info: Omit<RetryInfo, 'sink'>) => host.emit('retrying', { sink, ...info, ...tag }),
      error: (error: WatchProxyError) => host.sinkError(error),
    };
    const onStateError = (error: StateError): void => host.sinkError(error);
    const settings = {
      ...o,
      stateDir: named && o.stateDir !== undefined ? clusterStateDir(o.stateDir, cluster.name) : o.stateDir,
      sharedCache: this.#sharedCache,
      logger: this.#logger,
    };
    this.#batchCluster = Object.freeze(cluster.metadata === undefined ? { name: cluster.name } : { name: cluster.name, metadata: cluster.metadata });
    // Without clusters, batches carry no cluster (the sinks' own clusterName and metadata), unless they must carry
    // its UID: then a cluster named clusterName, which gives the same meta plus clusterUid.
    const stamped = named || cluster.clusterUid;
    const batchCluster = (): BatchCluster => this.#batchCluster;
    this.slots = sinks
      .filter(({ endpoint }) => endpoint.clusters.length === 0 || endpoint.clusters.includes(cluster.name))
      .map(({ endpoint, turns }) => {
        const sink: Sink = stamped ? clusterSink(endpoint.sink, turns, batchCluster) : endpoint.sink;
        return createSinkSlot({ ...endpoint, sink }, settings, { hooks, onStateError });
      });
    const kubeConfig = cluster.kubeConfig;
    this.#identity =
      cluster.clusterUid && kubeConfig !== undefined
        ? new ClusterIdentity({
            cluster: cluster.name,
            read: () => readClusterUid(kubeConfig, o.attemptTimeoutMs),
            logger: this.#logger,
            random: o.random,
            onKnown: (uid) => {
              this.#batchCluster = Object.freeze({ ...this.#batchCluster, uid });
              if (!host.stopping()) for (const slot of this.slots) slot.lane.start();
            },
          })
        : undefined;
    this.#leader =
      o.gate === undefined
        ? undefined
        : new LeaderActivation({
            gate: o.gate,
            sharedCache: this.#sharedCache,
            slots: this.slots,
            logger: this.#logger,
            stopping: host.stopping,
            snapshot: () => this.#source?.snapshot?.(),
            relistAll: () => this.#relistAll(),
            replay: (resource, object) => this.#onEvent(resource, { type: 'update', object, resync: true }),
            reconcile: (resource, objects) => this.#reconcile(resource, objects, () => 'restart'),
            onStateError,
            report: host.report,
          });
  }

  /** Loads the slots' emit caches (disk journal, then the cluster store when it is this replica's own state). */
  async restore(): Promise<void> {
    const o = this.#host.options;
    // Without leader election, the cluster store is this replica's own state (see restoreSinkSlot).
    const own = o.gate === undefined ? this.#sharedCache : undefined;
    await Promise.all(this.slots.map((slot) => restoreSinkSlot(slot, own, this.#logger, (error) => this.#host.sinkError(error))));
  }

  /** Starts the lanes and journals, then the watches; resolves once every resource is listed (or being retried). */
  async start(): Promise<void> {
    const o = this.#host.options;
    for (const slot of this.slots) {
      // With clusterUid the lanes queue until it is known (no batch without it); the identity starts them.
      if (this.#identity === undefined) slot.lane.start();
      slot.persister?.start();
    }
    this.#identity?.start();
    const named = this.cluster.named;
    const init = {
      resources: o.resources.map(({ settings: _settings, ...watched }) => watched),
      logger: this.#logger,
      onError: (error: WatchProxyError, resource: string) => {
        if (named) this.#host.emit('watchError', error, resource, this.cluster.name);
        else this.#host.emit('watchError', error, resource);
        this.#host.report(error);
      },
    };
    const tuning = { watchdogs: o.watchdogs, clock: { now: o.now, random: o.random } };
    const factory = this.cluster.watchSource ?? kubeWatchSource(this.cluster.kubeConfig as NonNullable<ResolvedCluster['kubeConfig']>, tuning);
    this.#source = factory(init);
    const startedAt = o.now();
    for (const r of o.resources) this.#delta.markWatchStarted(r.name, Math.min(startedAt, o.watchedSince.get(r.name) ?? startedAt));
    await this.#source.start(this.#handlers());
  }

  /** After `start`: follows the gate (with one), or starts the cluster-store writers (without, but with a store). */
  async activate(): Promise<void> {
    if (this.#leader !== undefined) await this.#leader.start();
    else if (this.#sharedCache !== undefined) for (const slot of this.slots) slot.writer?.start();
  }

  /** Stops following the gate, then the watches (no event is handled afterwards). */
  async stopIntake(): Promise<void> {
    this.#identity?.stop();
    await this.#leader?.stop();
    await this.#source?.stop();
  }

  /**
   * Queues a delete, for every sink of this cluster, of every object it was delivered (what a removed cluster's
   * receivers hold, when they should forget it); returns how many.
   */
  retractAll(): number {
    let deletes = 0;
    for (const slot of this.slots) {
      for (const r of this.#host.options.resources) {
        // Resources that were never resolved have nothing delivered; the lane knows them by configured name.
        const resource = this.#resolved.get(r.name);
        if (resource === undefined) continue;
        deletes += slot.lane.reconcile(r.name, new Set(), 'relist', sinkAdmission(slot, resource, this.#delta));
      }
    }
    return deletes;
  }

  /** Closes the lanes, stops the writers (after a last save) and the journals; returns what failed. */
  async close(): Promise<Error[]> {
    this.#identity?.stop();
    const errors: Error[] = [];
    await Promise.all(this.slots.map((slot) => slot.lane.close()));
    for (const slot of this.slots) slot.writer?.stop();
    // The last shared save, only while still the holder (the writer checks); the next leader starts from it.
    await Promise.all(this.slots.map((slot) => slot.writer?.save()));
    for (const result of await Promise.allSettled(this.slots.map((slot) => slot.persister?.stop()))) {
      if (result.status === 'rejected') errors.push(result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
    }
    return errors;
  }

  /** Health of every watched resource of this cluster; empty before `start()`. */
  health(): readonly WatcherHealth[] {
    return this.#source?.health?.() ?? [];
  }

  /** Resources whose first complete list was processed. */
  get synced(): readonly string[] {
    return [...this.#synced];
  }

  stats(): ClusterStats {
    const sinks: Record<string, LaneStats> = {};
    for (const slot of this.slots) sinks[slot.sink.name] = slot.lane.stats();
    const identity = this.#identity === undefined ? {} : { clusterUid: { uid: this.#identity.uid, error: this.#identity.error } };
    return { received: this.#received, changes: this.#changes, dropped: { ...this.#dropped }, synced: this.synced, sinks, ...identity };
  }

  /** Resources as the source resolved them, by configured name (from the events seen). */
  readonly #resolved = new Map<string, ResolvedResource>();

  #reconcile(resource: ResolvedResource, objects: readonly KubeObject[], reason: (slot: SinkSlot) => 'relist' | 'restart'): number {
    const present = presentKeys(resource, objects, this.#host.ownState);
    let deletes = 0;
    for (const slot of this.slots) deletes += slot.lane.reconcile(resource.name, present, reason(slot), sinkAdmission(slot, resource, this.#delta));
    return deletes;
  }

  #handlers(): WatchHandlers {
    return {
      onEvent: (resource, event) => this.#onEvent(resource, event),
      onSynced: (resource, objects) => this.#onSynced(resource, objects),
      // Projection and fingerprint of listed objects while the next pages download, not all after the last one.
      onListItem: (resource, object) => {
        if (!this.#host.stopping()) this.#delta.prepare(resource, object);
      },
    };
  }

  #onEvent(resource: ResolvedResource, event: WatchEvent): void {
    if (this.#host.stopping()) return;
    this.#received++;
    this.#resolved.set(resource.name, resource);
    try {
      const outcome = this.#delta.process(resource, event);
      if (outcome.kind === 'dropped') {
        this.#dropped[outcome.reason] = (this.#dropped[outcome.reason] ?? 0) + 1;
        this.#host.emit('dropped', { sink: undefined, reason: outcome.reason, keys: [outcome.key], ...(this.cluster.named ? { cluster: this.cluster.name } : {}) });
        if (outcome.reason === 'too-deep') {
          this.#logger.warn({ key: outcome.key, event: event.type, maxDepth: MAX_OBJECT_DEPTH }, 'object nested too deeply to deliver: dropped (counted as too-deep)');
        }
        if (outcome.reason === 'filtered-event' && event.type === 'delete') {
          // No endpoint hears of this delete: none may find the object missing later and decide about it again.
          const uid = (event.object['metadata'] as { uid?: unknown } | undefined)?.uid;
          for (const slot of this.slots) slot.lane.forget(outcome.key, typeof uid === 'string' ? uid : '');
        }
        return;
      }
      this.#changes++;
      const { change, inSet } = outcome;
      this.#host.emit('change', change);
      dispatchChange(this.slots, resource, change, inSet, this.#filteredResources.has(resource.name), this.#delta);
    } catch (error) {
      // Should be impossible (every stage is total), but a watcher callback must never see an exception.
      this.#host.report(new InternalError(`processing an event of ${resource.name} failed`, { cause: error }));
    }
  }

  /** A takeover's replay by a source without `snapshot`: every resource is listed again (`WatchSource.replay`). */
  #relistAll(): boolean {
    const source = this.#source;
    if (source?.replay === undefined) return false;
    for (const r of this.#host.options.resources) this.#takingOver.add(r.name);
    source.replay();
    return true;
  }

  #onSynced(resource: ResolvedResource, objects: readonly KubeObject[]): void {
    if (this.#host.stopping()) return;
    this.#resolved.set(resource.name, resource);
    try {
      const first = !this.#synced.has(resource.name);
      const takeover = this.#takingOver.delete(resource.name);
      const deletes = this.#reconcile(resource, objects, (slot) => ((first && slot.restored) || takeover ? 'restart' : 'relist'));
      this.#synced.add(resource.name);
      if (deletes > 0) this.#logger.info({ resource: resource.name, deletes }, 'sending deletes missed while not watching');
      this.#host.emit('synced', { resource: resource.name, objects: objects.length, deletes, ...(this.cluster.named ? { cluster: this.cluster.name } : {}) });
    } catch (error) {
      this.#host.report(new InternalError(`reconciling ${resource.name} failed`, { cause: error }));
    }
  }
}
