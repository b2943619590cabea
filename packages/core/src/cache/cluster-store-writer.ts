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
}

/**
 * Saves one sink's emit cache to the shared store while this replica leads: on a timer, only when the cache
 * changed, never two saves at once. Started on activation, stopped on standing down.
 */
export class ClusterStoreWriter {
  readonly #loop: SaveLoop;

  constructor(options: ClusterStoreWriterOptions) {
    const { store, sinkName, cache, mayWrite } = options;
    this.#loop = new SaveLoop({
      cache,
      intervalMs: options.intervalMs,
      // The fence goes with the save too: a long save stops between requests once this replica stood down.
      write: () => store.save(sinkName, [...cache.entries()], mayWrite),
      mayWrite,
      onError: options.onError,
    });
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
