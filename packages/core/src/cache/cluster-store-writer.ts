import type { Logger } from '../logger.js';
import type { EmitCache } from './emit-cache.js';
import type { SharedCacheStore } from './cluster-store.js';
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
  /** Where a store that ran out of room is reported (a warning when it starts, and when it changes). Default: nowhere. */
  readonly logger?: Logger | undefined;
}

/**
 * Saves one sink's emit cache to the shared store while this replica leads: on a timer, only when the cache
 * changed, never two saves at once. Started on activation, stopped on standing down.
 */
export class ClusterStoreWriter {
  readonly #loop: SaveLoop;
  #short = '';

  constructor(options: ClusterStoreWriterOptions) {
    const { store, sinkName, cache, mayWrite } = options;
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
}
