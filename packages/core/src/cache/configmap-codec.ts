import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { EmitCacheEntry } from './emit-cache.js';

// How `ConfigMapCacheStore` lays a sink's emit cache into ConfigMaps: which shard a key goes to, the sink's id, and
// a part's bytes (one JSON array per entry, NDJSON, gzip'd, base64), fitted to the room a ConfigMap has left.

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** One ConfigMap's parts by sink id: each the base64 gzip'd NDJSON of that sink's entries. */
export type ShardParts = Map<string, string>;

/** A part as `fitPart` made it, and what did not fit whole. */
export interface FittedPart {
  /** Base64 of the gzip'd lines. */
  readonly data: string;
  /** Entries stored without their last delivered state. */
  readonly withoutState: number;
  /** Entries left out. */
  readonly notStored: number;
}

type Line = [string, string, string, string, string, string, string, string, number, string];

function toLine(key: string, e: EmitCacheEntry): string {
  const line: Line = [key, e.fingerprint, e.resource, e.uid, e.namespace, e.name, e.assetId, e.uniqueId, e.deliveredAt, e.state];
  return JSON.stringify(line);
}

function fromLine(text: string): [string, EmitCacheEntry] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // Never rethrow the parser's message: it quotes the line (object states, Secret data with includeSecretData).
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 10 || typeof v[8] !== 'number' || !v.every((x, i) => i === 8 || typeof x === 'string')) return undefined;
  const [key, fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state] = v as Line;
  return [key, { fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state }];
}

/** The shard of `key` among `shards`, by FNV-1a: cheap enough to run for every key on every save, and stable across processes. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** What makes an entry's line change: a part whose keys all keep their signature needs no rewrite. */
export function signature(e: EmitCacheEntry): string {
  return `${e.uid}\u0000${e.fingerprint}\u0000${e.deliveredAt}`;
}

/** True when `signature` (of an entry) is of incarnation `uid`. */
export function signatureHolds(signature: string | undefined, uid: string): boolean {
  return signature !== undefined && signature.startsWith(`${uid}\u0000`);
}

/** A sink's key in a shard's `binaryData`: a hash, so endpoint names (URLs) never show in the cluster. */
export function sinkId(sink: string): string {
  return createHash('sha256').update(sink).digest('hex').slice(0, 16);
}

/** The entry without its state: a delete found later carries a minimal object, but it is still sent. */
function stripped(e: EmitCacheEntry): EmitCacheEntry {
  const metadata = e.namespace === '' ? { name: e.name, uid: e.uid } : { name: e.name, namespace: e.namespace, uid: e.uid };
  return { ...e, state: JSON.stringify({ metadata }) };
}

/** A part's text (NDJSON), or undefined for no part. */
export async function unzipPart(data: string | undefined): Promise<string | undefined> {
  return data === undefined ? undefined : (await gunzipAsync(Buffer.from(data, 'base64'))).toString('utf8');
}

/** Calls `each` for every entry of a part's text; a line that is no entry throws, naming `where` but not the line. */
export function parsePart(text: string, where: string, each: (key: string, entry: EmitCacheEntry) => void): void {
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parsed = fromLine(line);
    if (parsed === undefined) throw new Error(`${where} has a malformed entry`);
    each(parsed[0], parsed[1]);
  }
}

/**
 * The part's data (base64 gzip) within `room` bytes of base64: all entries if they fit, else all without their
 * states (deletes then carry a minimal object), else as many of those as fit (the rest are forgotten: after a
 * pod replacement they are sent again, and a delete of theirs made meanwhile is missed).
 */
export async function fitPart(bucket: readonly (readonly [string, EmitCacheEntry])[], room: number): Promise<FittedPart> {
  // Sorted, so the same entries always make the same bytes.
  const encode = async (pairs: readonly (readonly [string, EmitCacheEntry])[]): Promise<string> =>
    (await gzipAsync(Buffer.from(pairs.map(([key, entry]) => toLine(key, entry)).sort().join('\n'), 'utf8'))).toString('base64');
  const full = await encode(bucket);
  if (full.length <= room) return { data: full, withoutState: 0, notStored: 0 };
  const bare = bucket.map(([key, entry]) => [key, stripped(entry)] as const);
  let data = await encode(bare);
  if (data.length <= room) return { data, withoutState: bucket.length, notStored: 0 };
  // Oldest deliveries go first: the newest are the likeliest to change or be deleted before anyone looks again.
  const newestFirst = [...bare].sort((a, b) => b[1].deliveredAt - a[1].deliveredAt);
  let keep = Math.floor((newestFirst.length * Math.max(0, room)) / data.length);
  for (;;) {
    data = await encode(newestFirst.slice(0, keep));
    if (data.length <= room || keep === 0) break;
    keep = Math.floor(keep * 0.9);
  }
  return { data, withoutState: keep, notStored: bucket.length - keep };
}

/** The room a part has in a ConfigMap of at most `maxBytes` that holds `others` (every other sink's part). */
export function roomBeside(others: readonly (readonly [string, string])[], maxBytes: number): number {
  return maxBytes - others.reduce((sum, [other, value]) => sum + other.length + value.length, 0);
}
