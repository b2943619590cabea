import type { EmitCacheEntry } from './emit-cache.js';
import { WatchProxyError, brandError } from '../errors.js';

/** How much of one sink's emit cache the shared store holds (see `SharedCacheStore.usage`). */
export interface SharedCacheUsage {
  readonly sink: string;
  /** Entries in the cache at the last save. */
  readonly entries: number;
  /** Entries stored without their object state (no room): a delete found later carries a minimal object. */
  readonly withoutState: number;
  /** Entries not stored at all (no room): after a pod replacement they are re-sent, and their deletes missed. */
  readonly notStored: number;
}

/**
 * Where the emit caches are kept in the cluster, so a new leader (or a replacement pod with an empty state
 * directory) knows what the receivers already have. `ConfigMapCacheStore` keeps them in ConfigMaps; tests use a map.
 */
export interface SharedCacheStore {
  /** What `sink` is known to hold; `undefined` when nothing was ever stored for it. Rejects on failures. */
  load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined>;
  /**
   * Replaces what is stored for `sink` with `entries` (writing only the parts that changed). `mayWrite` is
   * checked right before every write request: once it reads false (leadership lost), nothing more is written,
   * so a stale holder never overwrites its successor. Rejects on failures; a later save retries. Running out of
   * room is not a failure: what did not fit shows in `usage()`.
   */
  save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, mayWrite: () => boolean): Promise<void>;
  /**
   * Write-ahead of a send (optional): records that `entries` (objects about to be sent, each with the state a
   * delete needs) may reach `sink`'s receiver, and resolves once that is stored. Only entries the stored state does
   * not already hold with the same uid cost anything: when there are none, it resolves without a write. `load` then
   * returns them (as unconfirmed entries) until a `save` holds them or `settle` drops them. Rejects on failures.
   * Without it, an object first sent after the last `save` is unknown to the next process (its delete is missed).
   */
  intend?(sink: string, entries: readonly (readonly [string, EmitCacheEntry])[], mayWrite: () => boolean): Promise<void>;
  /** The delete of `key`'s incarnation `uid` was delivered: its intent is no longer needed (dropped at the next write). */
  settle?(sink: string, key: string, uid: string): void;
  /** True for a Kubernetes object that is the store's own state (never sent as a change). Default: none is. */
  owns?(namespace: string, name: string): boolean;
  /** What did not fit, per sink, as of each sink's last save. Default: everything always fits. */
  usage?(): readonly SharedCacheUsage[];
}

/**
 * What `SharedCacheStore.intend` rejects with when even the intents without their object states do not fit
 * (`WP_ERR_STATE_INTENTS_FULL`): what fit was written (newest first), the rest is not crash-safe until a save holds
 * it. The writer saves, then tries again; only a second refusal is reported (as the `cause` of a `StateError`).
 */
export class IntentLogFullError extends WatchProxyError {
  /** Intents that were not written. */
  readonly notStored: number;

  constructor(notStored: number) {
    super('WP_ERR_STATE_INTENTS_FULL', `the intent log is full: ${String(notStored)} objects about to be sent are not recorded (a crash now could miss their deletes)`);
    this.notStored = notStored;
  }

  static {
    brandError(this, 'IntentLogFullError');
  }
}
