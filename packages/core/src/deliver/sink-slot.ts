import { CachePersister } from '../cache/cache-persister.js';
import type { SharedCacheStore } from '../cache/cluster-store.js';
import { ClusterStoreWriter } from '../cache/cluster-store-writer.js';
import { EmitCache } from '../cache/emit-cache.js';
import { StateError } from '../errors.js';
import { asError } from '../internal/as-error.js';
import type { Logger } from '../logger.js';
import { EndpointExpressions, type EndpointRules } from '../route/endpoint-expressions.js';
import { Route, type RouteFilter } from '../route/route.js';
import type { Sink } from '../sink/sink.js';
import { DeadLetterFile, deadLetterFilePath } from './dead-letter-file.js';
import type { LaneHooks } from './lane-contract.js';
import type { RetryPolicy } from './retry-policy.js';
import { SinkLane } from './sink-lane.js';

/** One endpoint as configured: its sink, routing filters and compiled expressions. */
export interface SinkEndpoint extends RouteFilter {
  readonly sink: Sink;
  readonly rules: EndpointRules;
  /** Whether its updates go as JSON Patches from the state last delivered to it (`SinkLaneOptions.deltaUpdates`). */
  readonly deltaUpdates?: boolean | undefined;
}

/** The proxy-wide settings a slot is built from (a subset of the resolved `WatchProxyOptions`). */
export interface SinkSlotSettings {
  /** How long a delivered state suppresses re-sending it, ms; 0: forever. */
  readonly emitCacheDurationMs: number;
  /** Where the emit cache journal and the dead-letter file go; undefined: memory only. */
  readonly stateDir: string | undefined;
  readonly persistIntervalMs: number;
  readonly emitIntervalMs: number | 'adaptive';
  readonly emitBatchMaxObjects: number;
  readonly emitBatchMaxBytes: number;
  readonly attemptTimeoutMs: number;
  readonly rejectedRetryIntervalMs: number;
  readonly abortGraceMs: number;
  readonly retry: RetryPolicy;
  readonly handoverWindowMs: number;
  readonly cancelAddDelete: boolean;
  /** With a gate, the slot starts as a standby and delivers (and writes the shared cache) only while it is open. */
  readonly gate: { readonly open: boolean } | undefined;
  /** The cluster state store; undefined: none. */
  readonly sharedCache: SharedCacheStore | undefined;
  readonly sharedCacheIntervalMs: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly logger: Logger;
}

/** Everything that serves one sink, from its route to its caches. */
export interface SinkSlot {
  readonly sink: Sink;
  readonly route: Route;
  /** The sink's filter, updateFilter and transform; undefined when it has none. */
  readonly expressions: EndpointExpressions | undefined;
  readonly lane: SinkLane;
  readonly cache: EmitCache;
  /** Journals the cache to `stateDir`; undefined without one. */
  readonly persister: CachePersister | undefined;
  /** Saves the cache to the shared store while this replica leads (`sharedCache`). */
  readonly writer: ClusterStoreWriter | undefined;
  /** Whether a persisted cache was loaded: the first sync then reports deletes as `restart`. */
  restored: boolean;
}

/** How a slot reports: the lane's hooks, and failures of its state files and stores (each already a `StateError`). */
export interface SinkSlotReporting {
  readonly hooks: LaneHooks;
  readonly onStateError: (error: StateError) => void;
}

/**
 * Builds one sink's slot: its route and expressions, emit cache, disk journal, cluster-store writer and lane. No
 * I/O: `restoreSinkSlot` loads, the lane and persister are started by the caller.
 */
export function createSinkSlot(endpoint: SinkEndpoint, o: SinkSlotSettings, reporting: SinkSlotReporting): SinkSlot {
  const { sink, namespaces, resourceTypes, rules } = endpoint;
  const stateError = (what: string, error: Error): void =>
    reporting.onStateError(new StateError('WP_ERR_STATE_WRITE', `${what} of sink "${sink.name}" failed: ${error.message}`, { cause: error }));
  const cache = new EmitCache({ ttlMs: o.emitCacheDurationMs, now: o.now });
  const logger = o.logger.child({ sink: sink.name });
  const gate = o.gate;
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
          onError: (error) => stateError('writing the emit cache', error),
        });
  // The writer's fence reads the lane lazily (only once saves run), so it can exist before the lane whose
  // beforeSend calls it.
  const writer =
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
          onError: (error) => stateError('saving the shared emit cache', error),
          onIntentError: (error) =>
            reporting.onStateError(
              new StateError(
                'WP_ERR_STATE_WRITE',
                `recording what is about to be sent to sink "${sink.name}" in the cluster state store failed (sent anyway; a crash before the next save may miss deletes): ${error.message}`,
                { cause: error },
              ),
            ),
        });
  const lane: SinkLane = new SinkLane({
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
            onError: (error) => stateError('writing the dead-letter file', error),
          }),
    abortGraceMs: o.abortGraceMs,
    retry: o.retry,
    now: o.now,
    random: o.random,
    hooks: reporting.hooks,
    mayDeliver: gate === undefined ? undefined : () => gate.open === true,
    handoverWindowMs: o.handoverWindowMs,
    // Journalled (and, with a cluster store, recorded there) before the send: a crash during it must not make the
    // restarted daemon forget the object.
    beforeSend:
      persister === undefined && writer === undefined
        ? undefined
        : async (batch) => {
            await Promise.all([persister?.intend(batch), writer?.intend(batch)]);
          },
    cancelAddDelete: o.cancelAddDelete,
    deltaUpdates: endpoint.deltaUpdates,
  });
  // With a gate, every replica starts as a standby; the gate's first `true` activates.
  if (gate !== undefined) lane.setActive(false);
  const expressions =
    rules.filter === undefined && rules.updateFilter === undefined && rules.transform === undefined ? undefined : new EndpointExpressions(rules);
  return { sink, route: new Route({ namespaces, resourceTypes }), expressions, lane, cache, persister, writer, restored: false };
}

/**
 * Loads what a slot's receiver holds at start: the disk journal, then (without leader election, where the cluster
 * store is this replica's own state: what a replacement pod with an empty state directory starts from) the
 * cluster store, merged with the disk's, which a restarted container still has. Sets `restored` when either had
 * entries. A store that cannot be read is reported and skipped; a journal that cannot be read rejects.
 */
export async function restoreSinkSlot(
  slot: SinkSlot,
  ownClusterState: SharedCacheStore | undefined,
  logger: Logger,
  onStateError: (error: StateError) => void,
): Promise<void> {
  if (slot.persister !== undefined) slot.restored = await slot.persister.load();
  if (ownClusterState === undefined) return;
  const stored = await ownClusterState.load(slot.sink.name).catch((error: unknown) => {
    onStateError(new StateError('WP_ERR_STATE_LOAD', `loading the cluster state of sink "${slot.sink.name}" failed: ${asError(error).message}`, { cause: error }));
    return undefined;
  });
  if (stored === undefined) return;
  for (const [key, entry] of stored) slot.cache.merge(key, entry);
  slot.restored = true;
  logger.info({ sink: slot.sink.name, entries: stored.size }, 'emit cache loaded from the cluster state store');
}
