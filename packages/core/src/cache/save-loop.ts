import type { EmitCache } from './emit-cache.js';
import { setLongInterval } from '../internal/long-timeout.js';
import type { LongTimer } from '../internal/long-timeout.js';

/** Settings of one save loop. */
export interface SaveLoopOptions {
  readonly cache: EmitCache;
  /** How often a changed cache is saved, ms. */
  readonly intervalMs: number;
  /** Writes the cache's current entries somewhere; resolves once they are written. */
  readonly write: () => Promise<void>;
  /** Checked before each save; false skips it (it is tried again at the next tick). Default: always true. */
  readonly mayWrite?: (() => boolean) | undefined;
  /** Called with write failures (the next tick tries again). */
  readonly onError: (error: Error) => void;
}

/**
 * Saves an emit cache when it changed (its `version` moved since the last successful save): on a timer and on
 * `save()`, never two saves at once. The timer is unref'd: it never keeps the process alive. What both the disk
 * persister and the shared (cluster) store writer need, so the two cannot drift apart.
 */
export class SaveLoop {
  readonly #o: SaveLoopOptions;
  #savedVersion = -1;
  #saving: Promise<void> | undefined;
  #timer: LongTimer | undefined;

  constructor(options: SaveLoopOptions) {
    this.#o = options;
  }

  /** Counts the cache as saved as it is now (it was just loaded from where it is saved). */
  markSaved(): void {
    this.#savedVersion = this.#o.cache.version;
  }

  /** Counts the cache as never saved: the next `save()` writes even if nothing changed. */
  markUnsaved(): void {
    this.#savedVersion = -1;
  }

  /** Starts the periodic save. Idempotent. */
  start(): void {
    this.#timer ??= setLongInterval(() => void this.save(), this.#o.intervalMs).unref();
  }

  /** Stops the periodic save (a save under way finishes). */
  stop(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** Saves now if the cache changed since the last save and `mayWrite` allows; waits for a save under way. Never rejects. */
  async save(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
    const version = this.#o.cache.version;
    if (version === this.#savedVersion || !(this.#o.mayWrite?.() ?? true)) return;
    this.#saving = this.#o
      .write()
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
