import { mkdir } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { Batch } from '../types.js';
import { cacheFilePath, readCacheFile, writeCacheFile } from './cache-file.js';
import type { EmitCache, EmitCacheEntry } from './emit-cache.js';
import { EmitJournal, replayJournal } from './emit-journal.js';
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
 * Keeps one sink's emit cache on disk, crash-consistently: a snapshot (`emit-cache.<sink>.ndjson`) written when
 * the cache changed (on a timer and on `persist()`, never two writes at once), plus a write-ahead journal of
 * what is about to be sent and what was delivered since (`intend`, before every send), replayed on load, so a
 * `kill -9` between snapshots forgets nothing that may have reached the receiver. Each snapshot starts a new
 * journal segment and deletes the ones it covers. A missing or corrupt file is a warning and an empty cache,
 * never a crash (the original panicked on both). The directory is created 0700, every file 0600.
 */
export class CachePersister {
  readonly #o: CachePersisterOptions;
  readonly #path: string;
  readonly #loop: SaveLoop;
  readonly #journal: EmitJournal;

  constructor(options: CachePersisterOptions) {
    this.#o = options;
    const path = cacheFilePath(options.stateDir, options.sinkName);
    this.#path = path;
    this.#journal = new EmitJournal({ stateDir: options.stateDir, sinkName: options.sinkName, cache: options.cache, onError: options.onError });
    const journal = this.#journal;
    this.#loop = new SaveLoop({
      cache: options.cache,
      intervalMs: options.intervalMs,
      write: async () => {
        // Deliveries recorded from here on go to the new segment, which the snapshot below does not cover.
        const seq = await journal.rotate();
        await writeCacheFile(path, options.sinkName, options.cache.entries(), options.now(), seq);
        await journal.removeBefore(seq);
      },
      onError: options.onError,
    });
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Loads the snapshot and replays the journal into the cache, then opens a new journal segment. Resolves to
   * whether persisted state was found and used (the first sync then reports deletes as `restart`).
   */
  async load(): Promise<boolean> {
    const { stateDir, logger } = this.#o;
    // 0700 when created here; an existing directory (a volume mount) keeps its mode: the files are 0600.
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const read = await readCacheFile(this.#path);
    const entries = new Map<string, EmitCacheEntry>(read.status === 'loaded' ? read.entries : []);
    if (read.status === 'corrupt') {
      logger.warn(
        { path: this.#path, reason: read.reason },
        'persisted emit cache is unreadable; starting from its journal alone (unchanged objects will be sent again)',
      );
    }
    const from = read.status === 'loaded' ? read.journal : 0;
    const replay = await replayJournal(stateDir, this.#o.sinkName, from, entries);
    if (replay.badLines > 0) logger.warn({ badLines: replay.badLines }, 'emit cache journal has unusable lines; they were skipped');
    for (const [key, entry] of entries) this.#o.cache.restore(key, entry);
    const seq = Math.max(from, (replay.lastSeq ?? -1) + 1);
    try {
      await this.#journal.open(seq);
    } catch (error) {
      this.#o.onError(new Error(`cannot open the emit cache journal (a crash may then forget recent sends): ${(error as Error).message}`, { cause: error }));
    }
    if (replay.records > 0) {
      // Compact now: the next start must not replay these segments again on top of newer state.
      this.#loop.markUnsaved();
      await this.#loop.save();
    } else if (read.status === 'loaded') {
      this.#loop.markSaved();
    }
    const found = read.status === 'loaded' || replay.records > 0;
    if (!found) {
      if (read.status === 'missing') logger.info({ path: this.#path }, 'no persisted emit cache; starting empty');
      return false;
    }
    logger.info({ entries: entries.size, journalSegments: replay.segments, unconfirmed: replay.unconfirmed }, 'emit cache loaded');
    return true;
  }

  /**
   * Journals the batch's adds and updates and resolves once they are on disk (one fsync for the batch): call
   * right before sending it. Never rejects (a write failure goes to `onError`; the send goes on).
   */
  intend(batch: Batch): Promise<void> {
    return this.#journal.intend(batch);
  }

  /** Starts the periodic write. The timer is unref'd: it never keeps the process alive. */
  start(): void {
    this.#loop.start();
  }

  /** Writes now if the cache changed since the last write; waits for a write already under way. */
  persist(): Promise<void> {
    return this.#loop.save();
  }

  /** Stops the timer, writes one last time and closes the journal. */
  async stop(): Promise<void> {
    this.#loop.stop();
    await this.persist();
    await this.#journal.close();
  }
}
