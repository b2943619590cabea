import type { EmitCacheEntry } from './emit-cache.js';

/**
 * Where the emit caches are shared between replicas, so a new leader knows what the receivers already have.
 * `ConfigMapCacheStore` keeps them in the cluster; tests use a map.
 */
export interface SharedCacheStore {
  /** What `sink` is known to hold; `undefined` when nothing was ever stored for it. Rejects on failures. */
  load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined>;
  /**
   * Replaces what is stored for `sink` with `entries` (writing only the parts that changed). `mayWrite` is
   * checked right before every write request: once it reads false (leadership lost), nothing more is written,
   * so a stale holder never overwrites its successor. Rejects on failures; a later save retries.
   */
  save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, mayWrite: () => boolean): Promise<void>;
}
