import { mkdir } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { cacheFilePath, readCacheFile, writeCacheFile } from './cache-file.js';
import type { EmitCache } from './emit-cache.js';
import { SaveLoop } from './save-loop.js';

/** Settings of one persister. */
export interface CachePersisterOptions {
  readonly stateDir: string;
  readonly sinkName: string;
  readonly cache: EmitCache;
  /** Already bound to `{ sink }` by the caller, so lines here do not repeat it. */
  readonly logger: Logger;
  /** How often a changed cache is written, ms. */
  readonly intervalMs: number;
  readonly now: () => number;
  /** Called with write failures (the pipeline goes on; the next tick tries again). */
  readonly onError: (error: Error) => void;
}

/**
 * Keeps one sink's emit cache on disk: loads it once at start, writes it when it changed (on a timer and on
 * `persist()`), never two writes at once. A missing or corrupt file is a warning and an empty cache, never
 * a crash (the original panicked on both).
 */
export class CachePersister {
  readonly #o: CachePersisterOptions;
  readonly #path: string;
  readonly #loop: SaveLoop;

  constructor(options: CachePersisterOptions) {
    this.#o = options;
    const path = cacheFilePath(options.stateDir, options.sinkName);
    this.#path = path;
    this.#loop = new SaveLoop({
      cache: options.cache,
      intervalMs: options.intervalMs,
      write: () => writeCacheFile(path, options.sinkName, options.cache.entries(), options.now()),
      onError: options.onError,
    });
  }

  get path(): string {
    return this.#path;
  }

  /** Loads the file into the cache. Resolves to whether a persisted cache was found and used. */
  async load(): Promise<boolean> {
    await mkdir(this.#o.stateDir, { recursive: true });
    const read = await readCacheFile(this.#path);
    if (read.status === 'missing') {
      this.#o.logger.info({ path: this.#path }, 'no persisted emit cache; starting empty');
      return false;
    }
    if (read.status === 'corrupt') {
      this.#o.logger.warn(
        { path: this.#path, reason: read.reason },
        'persisted emit cache is unreadable; starting empty (unchanged objects will be sent again)',
      );
      return false;
    }
    for (const [key, entry] of read.entries) this.#o.cache.restore(key, entry);
    this.#loop.markSaved();
    this.#o.logger.info({ entries: read.entries.length }, 'emit cache loaded');
    return true;
  }

  /** Starts the periodic write. The timer is unref'd: it never keeps the process alive. */
  start(): void {
    this.#loop.start();
  }

  /** Writes now if the cache changed since the last write; waits for a write already under way. */
  persist(): Promise<void> {
    return this.#loop.save();
  }

  /** Stops the timer and writes one last time. */
  async stop(): Promise<void> {
    this.#loop.stop();
    await this.persist();
  }
}
