import type { KubeObject } from '../types.js';
import { ListParser } from './list-parser.js';
import type { ListEnvelope } from './list-parser.js';

/**
 * Default bound of a list body parsed in one piece, in bytes: 16 MiB. A page of 500 objects (`limit`) is 1.7 MB
 * for ConfigMaps with ~3 KB of data and ~3.3 MB for Deployment-shaped Pods, so ordinary pages stay well below it;
 * a body above it (a server that ignores `limit`, or huge objects) is parsed as a stream instead.
 */
export const WHOLE_LIST_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads one list response body. While the body stays within `maxWholeBytes` it is kept and parsed at the end with
 * one `JSON.parse` (native, ~2.3x faster than the streaming `ListParser` on a real 500-item page,
 * `bench/micro/list-page-parse.ts`); once it grows past that bound, what was kept goes to a `ListParser` and the
 * rest streams through it, so a huge unpaginated list never has to sit in memory as one string. Either way items
 * come out through `onItem` in order, and the errors are the same `SyntaxError`s, which never quote the body
 * (list items can be Secrets, and these errors are logged).
 */
export class ListPageReader {
  readonly #onItem: (item: KubeObject) => void;
  readonly #maxWholeBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #parser: ListParser | undefined;

  /**
   * `onItem` is called synchronously once per element of `items`, in order. `maxWholeBytes`: the largest body
   * parsed in one piece (default `WHOLE_LIST_MAX_BYTES`); 0 streams from the first byte.
   */
  constructor(onItem: (item: KubeObject) => void, maxWholeBytes = WHOLE_LIST_MAX_BYTES) {
    this.#onItem = onItem;
    this.#maxWholeBytes = maxWholeBytes;
  }

  /** True once the body outgrew the bound and is being parsed as a stream. */
  get streaming(): boolean {
    return this.#parser !== undefined;
  }

  /** Feeds the next chunk of the body. Throws `SyntaxError` on malformed JSON inside an item once streaming. */
  write(chunk: Buffer): void {
    if (this.#parser !== undefined) {
      this.#parser.write(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxWholeBytes) {
      const parser = new ListParser(this.#onItem);
      this.#parser = parser;
      const kept = this.#chunks;
      this.#chunks = [];
      for (const c of kept) parser.write(c);
    }
  }

  /** Call once the body ended; returns the envelope (with `items` empty). Throws `SyntaxError` on a bad body. */
  end(): ListEnvelope {
    if (this.#parser !== undefined) return this.#parser.end();
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [];
    return parseWholeList(body.toString('utf8'), this.#onItem);
  }
}

/**
 * Parses a complete list response held as one string: hands every element of `items` to `onItem` and returns the
 * envelope with `items` emptied (so it holds no object). Accepts and rejects what `ListParser` does: `items`
 * missing or null is an empty list, an item that is not an object is an error.
 */
export function parseWholeList(text: string, onItem: (item: KubeObject) => void): ListEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never the parser's own message: V8 quotes the offending text. A complete object ends with `}`.
    const truncated = !text.trimEnd().endsWith('}');
    throw new SyntaxError(truncated ? 'list response ended before its JSON was complete' : 'list response is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('list response is not a JSON object');
  const envelope = parsed as Record<string, unknown>;
  const items = envelope['items'];
  if (Array.isArray(items)) {
    for (const item of items) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new SyntaxError('list item is not a JSON object');
      onItem(item as KubeObject);
    }
    envelope['items'] = [];
  }
  return envelope as ListEnvelope;
}

/** How far into a list body `continueTokenAtHead` looks, in bytes: the list metadata comes first and is small. */
export const LIST_HEAD_BYTES = 4096;

// The apiserver writes a list as {"kind":...,"apiVersion":...,"metadata":{...},"items":[...]}; ListMeta holds
// only scalars, so its object has no braces (a string with one simply does not match, and nothing is guessed).
const LIST_HEAD = /^\s*\{(?:\s*"(?:kind|apiVersion)"\s*:\s*"[^"\\]*"\s*,)*\s*"metadata"\s*:\s*(\{[^{}]*\})/;

/**
 * The continue token of a list response, read from the first bytes of its body: the token, `''` when the list
 * metadata is there and has none (the last page), `undefined` when these bytes do not show it (too few yet, or a
 * layout other than the apiserver's). Only a hint to request the next page early: the caller must check it
 * against the envelope of the parsed body.
 */
export function continueTokenAtHead(head: Buffer): string | undefined {
  const match = LIST_HEAD.exec(head.toString('latin1', 0, Math.min(head.length, LIST_HEAD_BYTES)));
  if (match === null) return undefined;
  try {
    const metadata = JSON.parse(match[1]!) as { continue?: unknown };
    return typeof metadata.continue === 'string' ? metadata.continue : '';
  } catch {
    return undefined;
  }
}
