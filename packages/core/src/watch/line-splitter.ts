const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (NDJSON, as a watch response is) without ever joining more than one line.
 * Lines are returned as UTF-8 strings, without the newline; empty lines are skipped.
 */
export class LineSplitter {
  #pending: Buffer[] = [];

  /** Feeds a chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const part = chunk.subarray(start, nl);
      let line: string;
      if (this.#pending.length > 0) {
        this.#pending.push(part);
        line = Buffer.concat(this.#pending).toString('utf8');
        this.#pending = [];
      } else {
        line = part.toString('utf8');
      }
      if (line.trim() !== '') lines.push(line);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.#pending.push(chunk.subarray(start));
    return lines;
  }

  /** What is left after the last newline when the stream ended: `undefined` when nothing (the normal case). */
  rest(): string | undefined {
    if (this.#pending.length === 0) return undefined;
    const text = Buffer.concat(this.#pending).toString('utf8');
    this.#pending = [];
    return text.trim() === '' ? undefined : text;
  }
}
