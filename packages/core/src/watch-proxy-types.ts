import type { WatchProxyError } from './errors.js';
import type { LaneStats } from './deliver/lane-contract.js';
import type { RuleStats } from './expression/expression-rule.js';
import type { Batch, Change, DropReason } from './types.js';

// What a `WatchProxy` reports: its events, `stats()` and the `shutdown()` report.

/** Lifecycle states; see `WatchProxy`. */
export type WatchProxyState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** A batch a sink confirmed. */
export interface EmittedInfo {
  readonly sink: string;
  readonly batch: Batch;
  /** 1 when the first attempt succeeded. */
  readonly attempts: number;
  /** The batch's cluster, with `clusters`; absent otherwise. */
  readonly cluster?: string;
}

/** Changes that were not (or will never be) delivered, and why. `sink` is undefined for pipeline-wide drops. */
export interface DroppedInfo {
  readonly sink: string | undefined;
  readonly reason: DropReason;
  readonly keys: readonly string[];
  /** The cluster the changes come from, with `clusters`; absent otherwise. */
  readonly cluster?: string;
}

/** A failed attempt that will be retried after `delayMs`. */
export interface RetryInfo {
  readonly sink: string;
  readonly batchId: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
  /** The batch's cluster, with `clusters`; absent otherwise. */
  readonly cluster?: string;
}

/** A complete list of one resource was processed. `deletes` counts missed deletes found, over all sinks. */
export interface SyncedInfo {
  readonly resource: string;
  readonly objects: number;
  readonly deletes: number;
  /** The cluster listed, with `clusters`; absent otherwise. */
  readonly cluster?: string;
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
  /** A watch failed; the watcher retries by itself. `cluster` is given with `clusters`. */
  watchError: [error: WatchProxyError, resource: string, cluster?: string];
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
  /** Without `clusters`, with `clusterUid`: the UID once read, or why not yet (see `ClusterStats.clusterUid`). */
  readonly clusterUid?: ClusterStats['clusterUid'];
  /**
   * With `clusters`: the same figures per cluster, by name (`sinks` then holds their sums per sink, and `synced`
   * the resources every cluster has listed). Absent without `clusters`.
   */
  readonly clusters?: Readonly<Record<string, ClusterStats>>;
}

/** One cluster's part of `WatchProxyStats` (with `clusters`). */
export interface ClusterStats {
  /** Watch events received from this cluster. */
  readonly received: number;
  readonly changes: number;
  /** Drops before routing, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Resources whose first complete list of this cluster was processed. */
  readonly synced: readonly string[];
  /** Per sink that takes this cluster: its lane for this cluster. */
  readonly sinks: Readonly<Record<string, LaneStats>>;
  /**
   * With `clusterUid`: the UID once read, or why it could not be read yet (its batches wait meanwhile). Absent
   * without `clusterUid`.
   */
  readonly clusterUid?: { readonly uid: string | undefined; readonly error: string | undefined };
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
