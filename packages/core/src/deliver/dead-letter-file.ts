import { appendFile, mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RejectionKind } from '../sink/sink.js';
import type { Change } from '../types.js';

/**
 * One line of a dead-letter file: a change a sink refused on its own (or with the whole endpoint), without the
 * object's content. The lane keeps the change owed and tries it again; the line is for an operator to see what
 * was refused, why, and find the object (`resource`, `namespace`, `name`, `uid`) to fix or replay it.
 */
export interface DeadLetterRecord {
  /** When the sink refused it, ISO 8601 UTC. */
  readonly time: string;
  /** The sink (endpoint) name. */
  readonly endpoint: string;
  /** The pipeline's object key: `<resource>|<namespace>/<name>`. */
  readonly key: string;
  readonly resource: string;
  /** `''` for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly event: Change['event'];
  /** Why it was refused: the sink's `RejectionKind`. */
  readonly kind: RejectionKind;
  /** The destination's answer (an HTTP status), when the sink gave one. */
  readonly code?: number | string;
  /** The sink's error message, at most `DEAD_LETTER_REASON_MAX` characters. */
  readonly reason: string;
}

/** Where a lane reports refused changes. */
export interface DeadLetterLog {
  record(record: DeadLetterRecord): void;
  /** Records written (`written`) and discarded by rotation or a failed write (`discarded`), since start. */
  stats(): { readonly written: number; readonly discarded: number };
  /** Resolves once every record handed over so far is written (or failed). */
  settled(): Promise<void>;
}

/** Longest `reason` kept in a record, characters: a sink's message says what failed; the rest is noise. */
export const DEAD_LETTER_REASON_MAX = 300;

/** Default size of one dead-letter file before it rotates, bytes (1 MiB: about 3,000 records). */
export const DEAD_LETTER_MAX_BYTES = 1024 * 1024;

/** Where a sink's dead-letter file lives under `stateDir` (the rotated one adds `.1`). */
export function deadLetterFilePath(stateDir: string, sinkName: string): string {
  return join(stateDir, `dead-letter.${encodeURIComponent(sinkName)}.ndjson`);
}

/** Options of `DeadLetterFile`. */
export interface DeadLetterFileOptions {
  /** The file (see `deadLetterFilePath`); created 0600, its folder 0700 when missing. */
  readonly path: string;
  /** Size at which the file rotates to `<path>.1`, replacing the previous one, bytes. Default: `DEAD_LETTER_MAX_BYTES`. */
  readonly maxBytes?: number | undefined;
  /** A write failed (disk full, permissions): the records in it are counted as discarded. */
  readonly onError: (error: Error) => void;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/**
 * A bounded NDJSON dead-letter file, one `DeadLetterRecord` per line, appended off the caller's path (`record`
 * never blocks or throws). When the next line would take the file past `maxBytes`, it is renamed to `<path>.1`
 * (replacing, and counting as discarded, the records of the one before), so the two files together hold the latest
 * 1-2 × `maxBytes` of records: oldest dropped first.
 */
export class DeadLetterFile implements DeadLetterLog {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #onError: (error: Error) => void;
  #pending: string[] = [];
  #writing: Promise<void> | undefined;
  /** Size and record count of the current and the rotated file; read from disk before the first write. */
  #files: { size: number; records: number; previousRecords: number } | undefined;
  #written = 0;
  #discarded = 0;

  constructor(options: DeadLetterFileOptions) {
    this.#path = options.path;
    this.#maxBytes = options.maxBytes ?? DEAD_LETTER_MAX_BYTES;
    this.#onError = options.onError;
  }

  record(record: DeadLetterRecord): void {
    const reason = record.reason.length > DEAD_LETTER_REASON_MAX ? `${record.reason.slice(0, DEAD_LETTER_REASON_MAX)}…` : record.reason;
    this.#pending.push(`${JSON.stringify({ ...record, reason })}\n`);
    this.#writing ??= this.#pump().finally(() => {
      this.#writing = undefined;
    });
  }

  stats(): { readonly written: number; readonly discarded: number } {
    return { written: this.#written, discarded: this.#discarded };
  }

  /** Resolves once every record handed to `record` so far was written (or failed). */
  async settled(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #pump(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending;
      this.#pending = [];
      try {
        await this.#append(lines);
        this.#written += lines.length;
      } catch (error) {
        this.#discarded += lines.length;
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  async #append(lines: readonly string[]): Promise<void> {
    const files = (this.#files ??= await this.#load());
    // `files` counts `chunk` as written already: it is, by the time anything reads the counts again.
    let chunk = '';
    for (const line of lines) {
      const size = Buffer.byteLength(line);
      if (files.size > 0 && files.size + size > this.#maxBytes) {
        if (chunk !== '') await appendFile(this.#path, chunk, { mode: 0o600 });
        chunk = '';
        await rename(this.#path, `${this.#path}.1`);
        this.#discarded += files.previousRecords;
        files.previousRecords = files.records;
        files.records = 0;
        files.size = 0;
      }
      chunk += line;
      files.size += size;
      files.records++;
    }
    if (chunk !== '') await appendFile(this.#path, chunk, { mode: 0o600 });
  }

  async #load(): Promise<{ size: number; records: number; previousRecords: number }> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const current = await readOrEmpty(this.#path);
    const previous = await readOrEmpty(`${this.#path}.1`);
    return { size: Buffer.byteLength(current), records: countLines(current), previousRecords: countLines(previous) };
  }
}
