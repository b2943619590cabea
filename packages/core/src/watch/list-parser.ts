import type { KubeObject } from '../types.js';

/** The envelope of a Kubernetes list response, without its items. */
export interface ListEnvelope {
  readonly kind?: string;
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly continue?: string;
    readonly remainingItemCount?: number;
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Parses a Kubernetes list response incrementally: each element of the top-level `items` array is cut out of the
 * byte stream and parsed on its own as soon as it is complete, so a huge LIST never has to sit in memory as one
 * string. Everything else (kind, metadata with resourceVersion and continue) forms a small envelope parsed at the end.
 * Only the structural ASCII bytes are looked at, which is safe for UTF-8 (continuation bytes are >= 0x80).
 */
export class ListParser {
  readonly #onItem: (item: KubeObject) => void;
  #depth = 0;
  #inString = false;
  #escape = false;
  #inItems = false;
  #envelope: Buffer[] = [];
  #item: Buffer[] = [];
  #itemCount = 0;

  /** `onItem` is called synchronously, once per element of `items`, in order. */
  constructor(onItem: (item: KubeObject) => void) {
    this.#onItem = onItem;
  }

  /** Number of items parsed so far. */
  get itemCount(): number {
    return this.#itemCount;
  }

  /** Feeds the next chunk of the body. Throws `SyntaxError` on malformed JSON inside an item. */
  write(chunk: Buffer): void {
    let segmentStart = 0;
    // true while the bytes from segmentStart belong to the current item, false while they belong to the envelope.
    let inItem = this.#inItems && this.#depth > 2;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (b === BACKSLASH) this.#escape = true;
        else if (b === QUOTE) this.#inString = false;
        continue;
      }
      if (b === QUOTE) {
        this.#inString = true;
      } else if (b === LBRACE || b === LBRACKET) {
        if (this.#inItems && this.#depth === 2) {
          // An item starts: what came before it belongs to the envelope.
          this.#envelope.push(chunk.subarray(segmentStart, i));
          segmentStart = i;
          inItem = true;
        } else if (!this.#inItems && this.#depth === 1 && b === LBRACKET && this.#precededByItemsKey(chunk, segmentStart, i)) {
          this.#inItems = true;
        }
        this.#depth++;
      } else if (b === RBRACE || b === RBRACKET) {
        this.#depth--;
        if (this.#inItems && this.#depth === 2 && inItem) {
          this.#item.push(chunk.subarray(segmentStart, i + 1));
          this.#emitItem();
          segmentStart = i + 1;
          inItem = false;
        } else if (this.#inItems && this.#depth === 1) {
          this.#inItems = false;
        }
      } else if (b === COMMA && this.#inItems && this.#depth === 2) {
        // Separators between items are dropped so the envelope parses as `"items":[]`.
        this.#envelope.push(chunk.subarray(segmentStart, i));
        segmentStart = i + 1;
      }
    }
    if (segmentStart < chunk.length) {
      (inItem ? this.#item : this.#envelope).push(chunk.subarray(segmentStart));
    }
  }

  /** Call once the body ended; returns the envelope. Throws `SyntaxError` when the body was incomplete. */
  end(): ListEnvelope {
    if (this.#depth !== 0 || this.#inString || this.#item.length > 0) {
      throw new SyntaxError('list response ended before its JSON was complete');
    }
    const text = Buffer.concat(this.#envelope).toString('utf8');
    const parsed = parseQuietly(text, 'list response is not valid JSON');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SyntaxError('list response is not a JSON object');
    }
    return parsed as ListEnvelope;
  }

  #emitItem(): void {
    const bytes = this.#item.length === 1 ? this.#item[0]! : Buffer.concat(this.#item);
    this.#item = [];
    const value = parseQuietly(bytes.toString('utf8'), 'list item is not valid JSON');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new SyntaxError('list item is not a JSON object');
    }
    this.#itemCount++;
    this.#onItem(value as KubeObject);
  }

  // The envelope is small (kind, apiVersion, metadata), so looking back through it once per top-level array is cheap.
  #precededByItemsKey(chunk: Buffer, segmentStart: number, i: number): boolean {
    const before = Buffer.concat([...this.#envelope, chunk.subarray(segmentStart, i)]).toString('utf8');
    return /"items"\s*:\s*$/.test(before);
  }
}

/**
 * `JSON.parse` that throws `SyntaxError(message)` instead of the parser's own message, which quotes the text:
 * list items can be Secrets, and these errors end up in logs.
 */
function parseQuietly(text: string, message: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SyntaxError(message);
  }
}
