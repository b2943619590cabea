const NEWLINE = 0x0a;

/** True when `line` holds only JSON whitespace (space, tab, CR, LF), as a keep-alive blank line does. */
function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== NEWLINE) return false;
  return true;
}

/**
 * Splits a byte stream into lines (NDJSON, as a watch response is) without ever joining more than one line.
 * Lines are returned as bytes, without the newline, views of the chunk they came in (a copy only for a line
 * that spans chunks): the reader decodes only what it needs (a relist reads an unchanged object's identity from
 * the line's first bytes and never decodes the rest). Blank lines are skipped.
 */
export class LineSplitter {
  #pending: Buffer[] = [];

  /** Feeds a chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      let line = chunk.subarray(start, nl);
      if (this.#pending.length > 0) {
        this.#pending.push(line);
        line = Buffer.concat(this.#pending);
        this.#pending = [];
      }
      if (!isBlank(line)) lines.push(line);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.#pending.push(chunk.subarray(start));
    return lines;
  }

  /** What is left after the last newline when the stream ended: `undefined` when nothing (the normal case). */
  rest(): Buffer | undefined {
    if (this.#pending.length === 0) return undefined;
    const rest = Buffer.concat(this.#pending);
    this.#pending = [];
    return isBlank(rest) ? undefined : rest;
  }
}
