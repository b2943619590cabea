import type { KubeConfig } from '@kubernetes/client-node';
import type { SharedCacheStore } from './cache/cluster-store.js';
import type { RetryPolicy } from './deliver/retry-policy.js';
import type { WatchProxyError } from './errors.js';
import type { DeliveryGate } from './leader/delivery-gate.js';
import type { Logger } from './logger.js';
import type { RouteFilter } from './route/route.js';
import type { Sink } from './sink/sink.js';
import type { ChangeEvent } from './types.js';
import type { WatchdogBounds } from './watch/request-guard.js';
import type { WatchSourceFactory } from './watch/watch-source.js';

// The options of `new WatchProxy(options)`, as a host writes them; `resolve-options.ts` validates them and
// applies the defaults.

/** One resource kind to watch, and how its objects are turned into changes. */
export interface ResourceOptions {
  /** `pods`, `certificates.cert-manager.io` or `group/version/plural`. Keys cache entries: keep it stable. */
  readonly name: string;
  /** Copied into every change (`asset_type_id` on the wire). Default: `''`. */
  readonly assetId?: string | undefined;
  /**
   * Fields removed before fingerprinting and sending: dot paths, `\.` for a literal dot, `[*]` for every array
   * element (`spec.containers[*].image`). A path through a missing key, scalar or array is a no-op. Default: none.
   */
  readonly pruneFields?: readonly string[] | undefined;
  /** Events never sent for this resource. Default: none. */
  readonly filterEvents?: readonly ChangeEvent[] | undefined;
  /**
   * A CEL expression over `object` (as it goes on the wire: pruned and redacted) that decides which objects of
   * this resource are reported at all, to every sink: an object that starts matching is sent, one that stops is
   * deleted at every sink that holds it (with the state it last got). Compiled here: a syntax or type error
   * throws `InvalidArgumentError` pointing into the expression. Default: every object.
   */
  readonly filter?: string | undefined;
  /** Send Secret `data`/`stringData` values and the last-applied annotation unredacted. Default: false. */
  readonly includeSecretData?: boolean | undefined;
  /** Send `metadata.managedFields`. Default: false (dropped). */
  readonly includeManagedFields?: boolean | undefined;
  /** Re-process every object this often, ms (`forceReuploadDuration`); unchanged ones are not re-sent. Default: 0 (off). */
  readonly resyncMs?: number | undefined;
  /**
   * Relist from the apiserver this often, ms, and report what differs from the cache (defence in depth against a
   * missed event; one list request per namespace each time). Unlike `resyncMs` it makes API calls. Default: 0 (off).
   */
  readonly reconcileMs?: number | undefined;
  /**
   * List through one streaming watch (`sendInitialEvents`, KEP-3157: served from the apiserver's watch cache, no
   * pages) instead of paginated lists; falls back to pages for good when the server cannot (the `WatchList` feature
   * gate off, a server before 1.27, a storage without watch progress). `false` always lists in pages. Default: true.
   */
  readonly streamingList?: boolean | undefined;
  /** Server-side label selector for list/watch (`app=web`). Default: everything. */
  readonly labelSelector?: string | undefined;
  /** Server-side field selector for list/watch. Default: everything. */
  readonly fieldSelector?: string | undefined;
  /**
   * Watch only these namespaces (one list+watch each), e.g. when RBAC allows no more. Default: one cluster-wide
   * watch. Routing per sink is `SinkOptions.namespaces`, not this.
   */
  readonly namespaces?: readonly string[] | undefined;
}

export type { WatchedResource, WatchSource, WatchSourceFactory, WatchSourceInit } from './watch/watch-source.js';

/**
 * One cluster of a WatchProxy that watches several (`WatchProxyOptions.clusters`). Each gets its own watchers,
 * `uniqueId` prefix, `meta.cluster`, emit caches (under `stateDir` and in `sharedCache`) and health; a batch
 * never mixes clusters.
 */
export interface ClusterOptions {
  /**
   * The cluster's `clusterName`: prefix of its `uniqueId`s, `meta.cluster` of its batches (`Batch.cluster`) and the
   * namespace of its emit caches (`<stateDir>/clusters/<name>/`). Unique and non-empty; keep it stable, a new
   * name starts from an empty cache (everything is sent again, deletes made meanwhile are missed).
   */
  readonly name: string;
  /** Access to the cluster for the default watch source. Required unless `watchSource` is given. */
  readonly kubeConfig?: KubeConfig | undefined;
  /** Replaces the Kubernetes watch stage for this cluster (tests, replays). Default: watch through `kubeConfig`. */
  readonly watchSource?: WatchSourceFactory | undefined;
  /**
   * Sent with this cluster's batches (`Batch.cluster.metadata`); the HTTP sink merges it over its own `metadata`
   * in `meta`. Default: none.
   */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Overrides `WatchProxyOptions.clusterUid` for this cluster. Default: the proxy's. */
  readonly clusterUid?: boolean | undefined;
}

/** A sink plus its routing filters and expressions (CEL, compiled by the constructor). */
export interface SinkOptions extends RouteFilter {
  readonly sink: Sink;
  /**
   * With `WatchProxyOptions.clusters`: the names of the clusters this sink receives from. Default: every cluster.
   * A name no cluster has is an error; without `clusters` it must be absent.
   */
  readonly clusters?: readonly string[] | undefined;
  /**
   * A CEL expression over `object` and `resource` (the resource's plural name) deciding which objects this sink
   * holds: one that starts matching is sent (`add`, or `update` if the sink has it), one that stops matching is
   * sent as a `delete` carrying the state the sink last got; relists and restarts keep that true. An evaluation
   * error counts as not matching (drop reason `filter-error`). Default: every object.
   */
  readonly filter?: string | undefined;
  /**
   * A CEL expression over `object`, `oldObject` (the state last sent to this sink) and `resource` deciding whether
   * an update is worth sending (`object.status.phase != oldObject.status.phase`); adds and deletes are not subject
   * to it. With a `transform`, both are the transformed values. Default: every update.
   */
  readonly updateFilter?: string | undefined;
  /**
   * A CEL expression over `object` and `resource` giving a map, sent as the item's data instead of the object,
   * with real JSON types (integers are numbers). The sink's deduplication works on it: a change outside the
   * projection sends nothing. Default: the object.
   */
  readonly transform?: string | undefined;
  /**
   * Whether this sink's updates go as RFC 6902 JSON Patches from the state last delivered to it (docs/payload.md,
   * "deltaUpdates"); only sinks that encode `Change.delta` (the HTTP sink) send them. Default: the top-level
   * `deltaUpdates`.
   */
  readonly deltaUpdates?: boolean | undefined;
}

/** Options of `new WatchProxy(options)`. Durations are milliseconds, sizes bytes. */
export interface WatchProxyOptions {
  /** What to watch (a bare string is `{ name }`). At least one. */
  readonly resources: readonly (ResourceOptions | string)[];
  /** Where changes go (a bare sink has no filters). At least one; names must be unique. */
  readonly sinks: readonly (Sink | SinkOptions)[];
  /**
   * Several clusters, each watched on its own (see `ClusterOptions`); replaces `kubeConfig`, `watchSource` and
   * `clusterName`, which must then be absent. More can be added and removed while running (`addCluster`,
   * `removeCluster`). Default: the one cluster of `kubeConfig` or `watchSource`, whose batches carry no `cluster`
   * and whose emit caches sit directly in `stateDir`, as they always did.
   */
  readonly clusters?: readonly ClusterOptions[] | undefined;
  /** Cluster access for the default watch source. Required unless `watchSource` or `clusters` is given. */
  readonly kubeConfig?: KubeConfig | undefined;
  /** Replaces the Kubernetes watch stage (tests, replays). Default: watch through `kubeConfig`. */
  readonly watchSource?: WatchSourceFactory | undefined;
  /** Prefix of `uniqueId` (`<clusterName>-<uid>`). Default: `''`. */
  readonly clusterName?: string | undefined;
  /**
   * Stamp every batch with the cluster's identity, the UID of its `kube-system` Namespace (`Batch.cluster.uid`,
   * `meta.clusterUid`), so receivers can tell apart clusters that share a name. Read once per cluster through its
   * `kubeConfig` (which it then needs) before any of its batches is sent; while it cannot be read (RBAC forbids
   * `get` on namespace `kube-system`, the apiserver is down) that cluster's batches wait, retried with backoff
   * (1 s doubling to 60 s), the other clusters unaffected. Without `clusters` the batches then carry a `cluster`
   * named `clusterName`. Default: false (batches and payloads exactly as without it).
   */
  readonly clusterUid?: boolean | undefined;
  /** Namespaces whose objects, and the Namespace objects themselves, are never sent (exact names). Default: none. */
  readonly ignoreNamespaces?: readonly string[] | undefined;
  /**
   * For this long after a watch starts, ms, adds are dropped (the original's `delayAddEventDuration`): what a sink
   * would receive as an add, not an object it already has (that is an update to it). Default: 0.
   */
  readonly delayAddEventMs?: number | undefined;
  /**
   * Per resource name, since when (epoch ms) the host has been watching it: set when this WatchProxy replaces an
   * earlier one (a config reload), so `delayAddEventMs` counts from the first watch start, not again from this
   * one, and new objects' adds are not discarded after every reload. Default: none; a resource not listed counts
   * from this start.
   */
  readonly watchedSince?: ReadonlyMap<string, number> | undefined;
  /**
   * Set (ms, 0 included): at most one batch per sink per interval; a sink that started none for that long sends
   * at once (0: batches back to back). Default (unset): adaptive. A change reaching an idle sink is sent at once;
   * while batches are back to back, a full one (`emitBatchMaxObjects` or `emitBatchMaxBytes`) starts as soon as
   * the previous one is done, a partial one `ADAPTIVE_LINGER_MS` (10 ms) after the previous one started. Latency
   * stays in milliseconds under load, and throughput is bounded by the sink's round trip, not by an interval.
   */
  readonly emitIntervalMs?: number | undefined;
  /** Most changes per batch. Default: 10 (the original's). A sink's `limits.maxItems` can lower it. */
  readonly emitBatchMaxObjects?: number | undefined;
  /**
   * Most estimated JSON bytes per batch (a single larger object still goes, alone). Default: 512 KiB, half of
   * nginx's default 1 MiB body limit, leaving room for the estimate's error (a sink that answers "too large" also
   * makes its lane cut smaller batches).
   */
  readonly emitBatchMaxBytes?: number | undefined;
  /** How long a delivered state suppresses re-sending it. Default: 0 (forever). */
  readonly emitCacheDurationMs?: number | undefined;
  /**
   * Whether an object's add and its delete, both still queued for a sink (created and deleted before it was
   * sent), cancel out: the sink never needed either (counted as dropped, reason `coalesced`). False sends both,
   * the add then the delete, as the original did. Default: true.
   */
  readonly cancelAddDelete?: boolean | undefined;
  /**
   * Whether updates go as RFC 6902 JSON Patches from the state last delivered to each sink, with the fingerprints
   * of base and result, instead of the whole object (adds, deletes and the first send after a restart go whole).
   * Each sink may override it. Default: false (today's bytes exactly).
   */
  readonly deltaUpdates?: boolean | undefined;
  /** Directory for the emit caches; unset keeps them in memory only (restarts re-send everything). */
  readonly stateDir?: string | undefined;
  /** How often changed emit caches are written to `stateDir`. Default: 10 000 ms. */
  readonly persistIntervalMs?: number | undefined;
  /**
   * Each `send` attempt is aborted after this, or after a sink's own `timeoutMs` plus 1 s when that is longer.
   * Default: 10 000 ms.
   */
  readonly attemptTimeoutMs?: number | undefined;
  /**
   * How long a change a sink refused (`rejected`) stays owed before it is sent again; it also goes with its object's
   * next change. Default: 300 000 ms (5 minutes).
   */
  readonly rejectedRetryIntervalMs?: number | undefined;
  /** After aborting an attempt, how long to wait for a sink that ignores its signal. Default: 5 000 ms. */
  readonly abortGraceMs?: number | undefined;
  /** Backoff of failed sends. Defaults: `initialMs` 500, `maxMs` 30 000, `maxRetryAfterMs` 300 000. */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** `shutdown()` waits this long for queues to drain before aborting. Default: 10 000 ms. */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Default: silent. Never receives credentials or Secret data. */
  readonly logger?: Logger | undefined;
  /** Every runtime failure after `start()` (sends, watches, state writes). Default: `logger.error`. */
  readonly onError?: ((error: WatchProxyError) => void) | undefined;
  /**
   * Only deliver while this gate is open (a `LeaseElector`: one of several replicas sends). While closed the
   * proxy is a warm standby: it watches and keeps its caches, sends nothing, and remembers deletes for
   * `handoverWindowMs`; when it opens, the proxy loads `sharedCache`, then replays the current objects and sends
   * only what the receivers miss, deletes included. Default: none (always delivering).
   */
  readonly gate?: DeliveryGate | undefined;
  /** Where the leader shares the emit caches with standbys (see `ConfigMapCacheStore`). Default: none. */
  readonly sharedCache?: SharedCacheStore | undefined;
  /** How often the leader saves changed emit caches to `sharedCache`. Default: 2 000 ms. */
  readonly sharedCacheIntervalMs?: number | undefined;
  /**
   * How long a standby remembers a delete to send it when it takes over (the old leader may have delivered the
   * object without saving that to `sharedCache` yet). Should exceed `sharedCacheIntervalMs` + the lease duration
   * + two retry periods. Default: 60 000 ms.
   */
  readonly handoverWindowMs?: number | undefined;
  /**
   * Bounds of the default watch source's watchdogs, ms each: `connectTimeoutMs` (response headers, default
   * 30 000), `listPageTimeoutMs` (one list page, default 60 000), `idleTimeoutMs` (a watch stream without an event
   * or bookmark, default 150 000), `deadlineGraceMs` (a watch open past its server timeout, default 60 000). A
   * request a watchdog aborts is retried like a network failure. The defaults suit every apiserver (bookmarks
   * come about once a minute); shorter bounds notice a dead or frozen apiserver sooner at the cost of reconnects
   * on quiet streams. Ignored with `watchSource`.
   */
  readonly watchdogs?: WatchdogBounds | undefined;
  /** Time and randomness (the default watch source's too), for deterministic tests. Defaults: `Date.now`, `Math.random`. */
  readonly clock?: { readonly now?: (() => number) | undefined; readonly random?: (() => number) | undefined } | undefined;
}
