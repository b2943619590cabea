import { mkdir } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { Batch } from '../types.js';
import { cacheFilePath, readCacheFile, writeCacheFile } from './cache-file.js';
import type { EmitCache, EmitCacheEntry, StatePlacement } from './emit-cache.js';
import { EmitJournal, replayJournal } from './emit-journal.js';
import { SaveLoop } from './save-loop.js';
import { StateFile } from './state-file.js';

/**
 * Characters of delivered states one sink's cache keeps in memory by default (~16 MiB for ASCII): what a burst
 * between two snapshots delivers stays readable without a disk read; past it, states wait on disk.
 */
export const DEFAULT_STATE_MEMORY_CHARS = 16 * 1024 * 1024;

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
  /** Characters of states the cache keeps in memory; the rest are read back from disk. Default `DEFAULT_STATE_MEMORY_CHARS`. */
  readonly stateMemoryChars?: number | undefined;
}

/**
 * Keeps one sink's emit cache on disk, crash-consistently: a snapshot (`emit-cache.<sink>.ndjson`) written when
 * the cache changed (on a timer and on `persist()`, never two writes at once), plus a write-ahead journal of
 * what is about to be sent and what was delivered since (`intend`, before every send), replayed on load, so a
 * `kill -9` between snapshots forgets nothing that may have reached the receiver. Each snapshot starts a new
 * journal segment and deletes the ones it covers. A missing or corrupt file is a warning and an empty cache,
 * never a crash (the original panicked on both). The directory is created 0700, every file 0600.
 *
 * It also keeps the cache's states on disk once loaded: the snapshot holds every state it covers, so the cache
 * reads them back from it (by offset) instead of holding them; states delivered since stay in memory up to
 * `stateMemoryChars`, the oldest beyond it go to a spill file (unlinked, so a crash leaves nothing: crash safety is
 * the snapshot's and the journal's, as before). Each snapshot copies the states from where they are, and the cache
 * then reads them from the new snapshot.
 */
export class CachePersister {
  readonly #o: CachePersisterOptions;
  readonly #path: string;
  readonly #loop: SaveLoop;
  readonly #journal: EmitJournal;
  #statesOnDisk = false;

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
        const { cache } = options;
        if (this.#statesOnDisk) cache.rotateSpill(this.#reporting(StateFile.createSpill(options.stateDir, options.sinkName)));
        const placed: StatePlacement = { keys: [], entries: [], offsets: [], lengths: [] };
        await writeCacheFile(path, options.sinkName, cache.entries(), options.now(), seq, this.#statesOnDisk ? placed : undefined);
        if (this.#statesOnDisk) {
          const file = this.#reporting(StateFile.openSnapshot(path));
          cache.relocate(placed, file);
          file.retire();
        }
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
    this.#keepStatesOnDisk();
    const read = await readCacheFile(this.#path, { statesOnDisk: this.#statesOnDisk });
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
    if (read.status === 'loaded' && read.file !== undefined) this.#reporting(read.file);
    for (const [key, entry] of entries) this.#o.cache.restore(key, entry);
    if (read.status === 'loaded') read.file?.retire();
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

  /** Stops the timer, writes one last time, closes the journal and the files the cache's states were read from. */
  async stop(): Promise<void> {
    this.#loop.stop();
    await this.persist();
    await this.#journal.close();
    this.#o.cache.closeStates();
    this.#statesOnDisk = false;
  }

  /** `file`, reporting a state it cannot give back through `onError`. */
  #reporting(file: StateFile): StateFile {
    file.reportTo(this.#o.onError);
    return file;
  }

  /** Hands the cache a spill file; without one (it cannot be created), the states stay in memory. */
  #keepStatesOnDisk(): void {
    if (this.#statesOnDisk) return;
    try {
      const spill = this.#reporting(StateFile.createSpill(this.#o.stateDir, this.#o.sinkName));
      this.#o.cache.keepStatesOnDisk({ spill, memoryBudget: this.#o.stateMemoryChars ?? DEFAULT_STATE_MEMORY_CHARS, onError: this.#o.onError });
      this.#statesOnDisk = true;
    } catch (error) {
      this.#o.onError(new Error(`cannot create the emit cache's spill file (states stay in memory): ${(error as Error).message}`, { cause: error }));
    }
  }
}
