import { canonicalJson } from '../payload/canonical-json.js';
import type { Logger } from '../logger.js';
import type { Batch } from '../types.js';
import { IntentLogFullError, type SharedCacheStore } from './cluster-store.js';
import type { EmitCache, EmitCacheEntry } from './emit-cache.js';
import { SaveLoop } from './save-loop.js';

/** Settings of one writer. */
export interface ClusterStoreWriterOptions {
  readonly store: SharedCacheStore;
  readonly sinkName: string;
  readonly cache: EmitCache;
  /** How often a changed cache is saved, ms: bounds the store's write rate. */
  readonly intervalMs: number;
  /** True while this replica may write (the leader). */
  readonly mayWrite: () => boolean;
  readonly onError: (error: Error) => void;
  /** Called when recording a send ahead of it failed (the send goes on, not crash-safe). Default: `onError`. */
  readonly onIntentError?: ((error: Error) => void) | undefined;
  /** Epoch ms, for the intents' order when the log is short of room. Default: `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Where a store that ran out of room is reported (a warning when it starts, and when it changes). Default: nowhere. */
  readonly logger?: Logger | undefined;
}

/**
 * Saves one sink's emit cache to the shared store while this replica leads: on a timer, only when the cache
 * changed, never two saves at once. Started on activation, stopped on standing down. Between saves, `intend`
 * records ahead of each send the objects the store does not hold yet (when the store can: `SharedCacheStore.intend`).
 */
export class ClusterStoreWriter {
  readonly #o: ClusterStoreWriterOptions;
  readonly #loop: SaveLoop;
  #short = '';
  #intentFailed = false;

  constructor(options: ClusterStoreWriterOptions) {
    this.#o = options;
    const { store, sinkName, cache, mayWrite } = options;
    // A delivered delete ends what an intent was for: the receiver no longer has that incarnation.
    if (store.settle !== undefined) cache.onRecorded((change, entry) => entry === undefined && store.settle?.(sinkName, change.key, change.uid));
    this.#loop = new SaveLoop({
      cache,
      intervalMs: options.intervalMs,
      // The fence goes with the save too: a long save stops between requests once this replica stood down.
      write: async () => {
        await store.save(sinkName, [...cache.entries()], mayWrite);
        this.#reportUsage(options);
      },
      mayWrite,
      onError: options.onError,
    });
  }

  /** Degrades loudly, never fails: a store short of room still holds what fits (see `SharedCacheUsage`). */
  #reportUsage(options: ClusterStoreWriterOptions): void {
    const usage = options.store.usage?.().find((u) => u.sink === options.sinkName);
    if (usage === undefined) return;
    const short = usage.withoutState + usage.notStored > 0 ? `${String(usage.withoutState)}/${String(usage.notStored)}` : '';
    if (short === this.#short) return;
    this.#short = short;
    if (short === '') {
      options.logger?.info({ entries: usage.entries }, 'the cluster state store holds the whole emit cache again');
      return;
    }
    options.logger?.warn(
      { entries: usage.entries, withoutState: usage.withoutState, notStored: usage.notStored },
      'the cluster state store is full: entries are kept without their object state (their deletes carry a minimal object), or not at all (re-sent after a pod replacement, and a delete made meanwhile is missed); prune large fields with pruneFields, or watch fewer objects',
    );
  }

  /** Starts saving; the first save (of what was just loaded plus anything new) happens at once. */
  start(): void {
    this.#loop.markUnsaved();
    this.#loop.start();
    void this.#loop.save();
  }

  /** Stops the timer (a save under way checks `mayWrite` before each request). */
  stop(): void {
    this.#loop.stop();
  }

  /** Saves now if the cache changed since the last save and this replica may write. Never rejects. */
  save(): Promise<void> {
    return this.#loop.save();
  }

  /**
   * Before `batch` is sent: records its adds and updates of objects the store does not hold yet (with the state
   * their delete needs), and resolves once that is stored; nothing to record costs no write. A log that is full
   * (a long burst of new objects since the last save) is made room in by saving now. Never rejects: a failure is
   * reported (once until it works again) and the send goes on.
   */
  async intend(batch: Batch): Promise<void> {
    const { store, sinkName, mayWrite } = this.#o;
    if (store.intend === undefined || !mayWrite()) return;
    const now = this.#o.now?.() ?? Date.now();
    const entries: [string, EmitCacheEntry][] = [];
    for (const c of batch.items) {
      if (c.event === 'delete') continue;
      const entry = { fingerprint: c.fingerprint, resource: c.resource, uid: c.uid, namespace: c.namespace, name: c.name, assetId: c.assetId, uniqueId: c.uniqueId, deliveredAt: now };
      // The canonical text is memoized per frozen object (the fingerprint computed it): no re-encoding.
      entries.push([c.key, { ...entry, state: canonicalJson(c.object) }]);
    }
    if (entries.length === 0) return;
    try {
      try {
        await store.intend(sinkName, entries, mayWrite);
      } catch (error) {
        if (!(error instanceof IntentLogFullError)) throw error;
        // What was delivered since the last save leaves the log once the shards hold it.
        await this.#loop.save();
        await store.intend(sinkName, [], mayWrite);
      }
      this.#intentFailed = false;
    } catch (error) {
      if (this.#intentFailed) return;
      this.#intentFailed = true;
      const report = this.#o.onIntentError ?? this.#o.onError;
      report(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
