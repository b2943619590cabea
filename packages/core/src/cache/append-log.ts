import { open, type FileHandle } from 'node:fs/promises';

/**
 * One append-only file written through a serial queue: `append` buffers a line in memory (synchronous, cheap),
 * `commit` writes everything buffered and fsyncs once (group commit: every line appended before the commit
 * started shares its one fsync), `flushSoon` writes without an fsync. Created 0600: it holds object states.
 */
export class AppendLog {
  #handle: FileHandle | undefined;
  #buffer: string[] = [];
  #ops: Promise<void> = Promise.resolve();
  #queuedCommit: Promise<void> | undefined;
  #queuedWrite: Promise<void> | undefined;

  /**
   * Appends to `path` from now on (after what is queued); the previous file is written out, synced and closed.
   * `preamble` is called once the new file is open and its text goes first, durably, ahead of anything appended
   * meanwhile: computed then, it reflects every line already in the previous file.
   */
  switchTo(path: string, preamble: () => string): Promise<void> {
    return this.#enqueue(async () => {
      await this.#closeCurrent();
      this.#handle = await open(path, 'a', 0o600);
      this.#buffer.unshift(preamble());
      await this.#writeBuffer();
      await this.#handle.datasync();
    });
  }

  /** Buffers one line (with its newline). Nothing is written until `commit`, `flushSoon` or `switchTo`. */
  append(line: string): void {
    this.#buffer.push(line);
  }

  /** Resolves once every line appended so far is on disk (one write and one fsync for all of them). */
  commit(): Promise<void> {
    this.#queuedCommit ??= this.#enqueue(async () => {
      this.#queuedCommit = undefined;
      await this.#writeBuffer();
      await this.#handle?.datasync();
    });
    return this.#queuedCommit;
  }

  /** Writes what is buffered soon, without an fsync (a crash may lose it; the caller accepts that). Never rejects. */
  flushSoon(): void {
    if (this.#queuedCommit !== undefined || this.#queuedWrite !== undefined) return;
    this.#queuedWrite = this.#enqueue(async () => {
      this.#queuedWrite = undefined;
      await this.#writeBuffer();
    });
    this.#queuedWrite.catch(() => {});
  }

  /** Writes out, syncs and closes the file. Later appends are kept in memory until the next `switchTo`. */
  close(): Promise<void> {
    return this.#enqueue(() => this.#closeCurrent());
  }

  async #closeCurrent(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    try {
      await this.#writeBuffer();
      await handle.datasync();
    } finally {
      this.#handle = undefined;
      await handle.close();
    }
  }

  async #writeBuffer(): Promise<void> {
    if (this.#handle === undefined) {
      // No file (it could not be opened, or closed for good): the owner was told; memory must not grow.
      this.#buffer = [];
      return;
    }
    if (this.#buffer.length === 0) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    await this.#handle.write(text);
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#ops.then(op);
    this.#ops = run.catch(() => {});
    return run;
  }
}
