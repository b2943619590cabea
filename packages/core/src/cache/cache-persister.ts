import { mkdir } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { cacheFilePath, readCacheFile, writeCacheFile } from './cache-file.js';
import type { EmitCache } from './emit-cache.js';

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
  #writtenVersion = -1;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CachePersisterOptions) {
    this.#o = options;
    this.#path = cacheFilePath(options.stateDir, options.sinkName);
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
    this.#writtenVersion = this.#o.cache.version;
    this.#o.logger.info({ entries: read.entries.length }, 'emit cache loaded');
    return true;
  }

  /** Starts the periodic write. The timer is unref'd: it never keeps the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => {
      this.persist().catch(() => {}); // persist() reports through onError itself
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Writes now if the cache changed since the last write; waits for a write already under way. */
  async persist(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    const version = this.#o.cache.version;
    if (version === this.#writtenVersion) return;
    this.#writing = writeCacheFile(this.#path, this.#o.sinkName, this.#o.cache.entries(), this.#o.now())
      .then(() => {
        this.#writtenVersion = version;
      })
      .catch((error: unknown) => {
        this.#o.onError(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.#writing = undefined;
      });
    await this.#writing;
  }

  /** Stops the timer and writes one last time. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.persist();
  }
}
