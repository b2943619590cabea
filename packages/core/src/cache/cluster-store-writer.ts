import type { EmitCache } from './emit-cache.js';
import type { SharedCacheStore } from './cluster-store.js';

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
  readonly #o: ClusterStoreWriterOptions;
  #savedVersion = -1;
  #saving: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ClusterStoreWriterOptions) {
    this.#o = options;
  }

  /** Starts saving; the first save (of what was just loaded plus anything new) happens at once. */
  start(): void {
    this.#savedVersion = -1;
    this.#timer ??= setInterval(() => void this.save(), this.#o.intervalMs);
    this.#timer.unref();
    void this.save();
  }

  /** Stops the timer (a save under way checks `mayWrite` before each request). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Saves now if the cache changed since the last save and this replica may write. Never rejects. */
  async save(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
    const version = this.#o.cache.version;
    if (version === this.#savedVersion || !this.#o.mayWrite()) return;
    this.#saving = this.#o.store
      .save(this.#o.sinkName, [...this.#o.cache.entries()], this.#o.mayWrite)
      .then(() => {
        this.#savedVersion = version;
      })
      .catch((error: unknown) => this.#o.onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.#saving = undefined;
      });
    await this.#saving;
  }
}
