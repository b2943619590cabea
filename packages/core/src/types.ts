/** The three wire verbs of the original Watch-Proxy payload. */
export type ChangeEvent = 'add' | 'update' | 'delete';

/** A Kubernetes object as plain, JSON-compatible data. Never mutated once it enters the pipeline. */
export type KubeObject = Readonly<Record<string, unknown>>;

/**
 * An API resource as resolved through discovery: group/version/plural plus what discovery says about it.
 * `group` is `''` for the core API group.
 */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  /** Plural name, as in the URL path (`pods`, `certificates`). */
  readonly resource: string;
  /** Kind of the objects (`Pod`), as discovery reports it. */
  readonly kind: string;
  /** Whether objects live in namespaces; cluster-scoped resources (nodes, namespaces) are not. */
  readonly namespaced: boolean;
}

/**
 * One change to one object, after the delta engine: filtered, pruned, redacted, with `uniqueId` injected.
 * "Change" rather than "Event" so it never clashes with Kubernetes `Event` objects.
 */
export interface Change {
  /** `<resource>|<namespace>/<name>`, or `<resource>|<name>` for cluster-scoped objects (the original's key). */
  readonly key: string;
  /** The resource name as configured (`services`, `certificates.cert-manager.io`). */
  readonly resource: string;
  readonly event: ChangeEvent;
  /** The object as it goes on the wire. For deletes, the last known state. */
  readonly object: KubeObject;
  /** `metadata.uid`; a re-created name gets a new uid. */
  readonly uid: string;
  /** `''` for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** The resource's configured `assetId` (`asset_type_id` on the wire), `''` when unset. */
  readonly assetId: string;
  /** `<clusterName>-<uid>`, also injected as `object.metadata.uniqueId`. */
  readonly uniqueId: string;
  /** Hash of the canonical JSON of `object`; equal fingerprints mean nothing a receiver sees has changed. */
  readonly fingerprint: string;
  /** When the watcher observed the change, epoch milliseconds. */
  readonly observedAt: number;
  /**
   * Why a delete was synthesized rather than watched: `relist` (gone after a relist), `restart` (delivered
   * before a restart, gone now), `recreated` (same name, new uid), `unmatched` (the object no longer matches the
   * endpoint's `filter`: it leaves the endpoint's set). Absent for ordinary watched changes.
   */
  readonly synthesized?: 'relist' | 'restart' | 'recreated' | 'unmatched';
  /**
   * How the change goes on the wire to a sink with `deltaUpdates` (set by its lane when the batch is cut); absent
   * without `deltaUpdates`, and then the wire carries exactly what it always did. `object` is always the whole
   * state: sinks that cannot send a patch send it, and the emit cache records it.
   */
  readonly delta?: DeltaForm;
}

/** One RFC 6902 JSON Patch operation, as `deltaUpdates` sends them (only `add`, `remove` and `replace` are made). */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/**
 * How a change goes on the wire with `deltaUpdates` (docs/payload.md):
 * - `full`: the whole object, with its `fingerprint`, so a receiver knows the base of later patches;
 * - `patch`: an update as the JSON Patch from the state last delivered to that sink (fingerprint
 *   `baseFingerprint`) to `object` (fingerprint `Change.fingerprint`), sent instead of the object.
 */
export type DeltaForm =
  | { readonly form: 'full' }
  | { readonly form: 'patch'; readonly patch: readonly JsonPatchOperation[]; readonly baseFingerprint: string };

/** What a sink is handed in one `send` call. Items are in delivery order; per object, order is kept. */
export interface Batch<T = Change> {
  /**
   * Derived from the items (`batchIdOf`: key, uniqueId, event and fingerprint of each, in order): stable across
   * retries of the batch and across processes, so the same changes re-sent after a restart, reload or takeover
   * carry the same id; different items give a different id. Usable as an idempotency key.
   */
  readonly id: string;
  readonly items: readonly T[];
  /** Estimated JSON size of `items`, in bytes. */
  readonly bytes: number;
  /** When the batch was cut, epoch milliseconds. */
  readonly createdAt: number;
  /**
   * The cluster every item comes from, when the proxy watches several (`WatchProxyOptions.clusters`): a batch never
   * mixes clusters. Absent with a single cluster, whose name sinks take from their own options as always.
   */
  readonly cluster?: BatchCluster;
}

/** Which cluster a batch comes from (`Batch.cluster`). */
export interface BatchCluster {
  /** `ClusterOptions.name`: the `uniqueId` prefix of the items, and `meta.cluster` in the payload. */
  readonly name: string;
  /** `ClusterOptions.metadata`, if any: merged over a sink's own `metadata` in `meta`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * The UID of the cluster's `kube-system` Namespace, with `clusterUid` on (`meta.clusterUid`); absent otherwise.
   * Set on every batch of such a cluster: its batches wait until it is read.
   */
  readonly uid?: string;
}

/**
 * Why a change did not reach a sink (or any sink). Every drop is counted under one of these:
 * `ignored-namespace` (ignoreNamespaces), `filtered-event` (a resource's filterEvents), `add-delayed`
 * (delayAddEventDuration), `invalid-object` (no metadata.name), `own-state` (a ConfigMap of watch-proxy's own
 * shared emit cache, labelled `watch-proxy.io/emit-cache: "true"`), `unchanged` (the sink already has this exact
 * state), `coalesced` (an add and its delete met in a queue before either was sent: the sink never needed
 * either), `rejected` (the sink answered `rejected`), `shutdown` (still pending when the shutdown deadline
 * passed; not recorded as delivered, so a restart with the same stateDir sends it again), `too-deep` (maps and
 * arrays nested deeper than 1,000 levels: every encoder would overflow the stack on it), `filtered` (outside a
 * `filter`, or an update an `updateFilter` found not worth sending, for an endpoint that does not hold the object
 * or keeps its last state), `filter-error` (the same because an expression could not be evaluated on the object).
 */
export type DropReason =
  | 'ignored-namespace'
  | 'filtered-event'
  | 'add-delayed'
  | 'invalid-object'
  | 'own-state'
  | 'unchanged'
  | 'coalesced'
  | 'rejected'
  | 'shutdown'
  | 'too-deep'
  | 'filtered'
  | 'filter-error';

/** Why a change is outside an endpoint's set of objects: a filter said false, or could not be evaluated. */
export type OutsideReason = Extract<DropReason, 'filtered' | 'filter-error'>;
