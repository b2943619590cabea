import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A file the emit cache reads delivered states back from, by byte offset: either a snapshot (`emit-cache.<sink>.ndjson`,
 * whose lines hold each state whole) or the spill file of states evicted from memory between snapshots. Entries
 * count their references to it (`retain` / `release`); once its owner `retire`s it, the last release closes it. Reads
 * are synchronous: they serve rare paths (a missed delete, an `updateFilter` on an object no longer in memory, the
 * next snapshot) and a page-cache hit costs microseconds.
 */
export class StateFile {
  readonly #fd: number;
  readonly #what: string;
  #refs = 0;
  #onUnreadable: ((error: Error) => void) | undefined;
  #reported = false;
  #retired = false;
  #closed = false;
  /** Bytes appended so far, for a spill file. */
  #end = 0;

  private constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
  }

  /** Opens a snapshot for reading (throws ENOENT when it is missing). */
  static openSnapshot(path: string): StateFile {
    return new StateFile(openSync(path, 'r'), 'snapshot');
  }

  /**
   * Creates a spill file in `dir` (0600) and unlinks it at once: only the open descriptor keeps it, so a crash
   * leaves nothing behind (what it held is in memory's stead, not in the crash-safe state: the snapshot and the
   * journal are that).
   */
  static createSpill(dir: string, sinkName: string): StateFile {
    const path = join(dir, `.emit-state.${encodeURIComponent(sinkName)}.${String(process.pid)}.spill`);
    const fd = openSync(path, 'w+', 0o600);
    try {
      unlinkSync(path);
    } catch {
      // kept on disk until the next start's directory is cleaned; still usable
    }
    return new StateFile(fd, 'spill');
  }

  /**
   * Appends `texts` (UTF-8) in one write and returns where each lies: `[offset, length]` in bytes. Throws (a full
   * disk) without having appended any: the caller keeps those states in memory.
   */
  appendAll(texts: readonly string[]): (readonly [number, number])[] {
    let chars = 0;
    for (const text of texts) chars += text.length;
    // Encoded straight into one buffer (a UTF-16 unit takes at most 3 bytes of UTF-8), each `write` giving its length.
    const buffer = Buffer.allocUnsafe(chars * 3);
    const places: (readonly [number, number])[] = [];
    let used = 0;
    for (const text of texts) {
      const length = buffer.write(text, used, 'utf8');
      places.push([this.#end + used, length]);
      used += length;
    }
    let done = 0;
    while (done < used) done += writeSync(this.#fd, buffer, done, used - done, this.#end + done);
    this.#end += used;
    return places;
  }

  /** The bytes at `offset`, `length` long. Throws when the file was closed (the pipeline stopped). */
  read(offset: number, length: number): Buffer {
    if (this.#closed) throw new Error(`the emit cache's ${this.#what} file was closed: its states are no longer readable`);
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, buffer, done, length - done, offset + done);
      if (n === 0) throw new Error(`the emit cache's ${this.#what} file is shorter than expected`);
      done += n;
    }
    return buffer;
  }

  /** Where a failed read of a state is reported (`unreadable`), once per file. */
  reportTo(onUnreadable: (error: Error) => void): void {
    this.#onUnreadable = onUnreadable;
  }

  /** A state could not be read from this file: reported once (the entry carries a minimal object instead). */
  unreadable(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.#onUnreadable?.(new Error(`reading a delivered state back from the emit cache's ${this.#what} file failed (the deletes of such objects carry only their name and uid): ${reason}`, { cause: error }));
  }

  /** One more entry points into this file. */
  retain(): void {
    this.#refs++;
  }

  /** An entry no longer points into this file: the last one closes it once retired. */
  release(): void {
    this.#refs--;
    this.#closeIfUnused();
  }

  /** Nothing new will point into this file: it closes once no entry does. */
  retire(): void {
    this.#retired = true;
    this.#closeIfUnused();
  }

  /** Closes now, whatever still points into it (reading those entries then throws). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  /** Whether the descriptor is still open (for tests and the stats of open files). */
  get open(): boolean {
    return !this.#closed;
  }

  #closeIfUnused(): void {
    if (this.#retired && this.#refs <= 0) this.close();
  }
}
