import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canonicalJson } from '../payload/canonical-json.js';
import type { EmitCacheEntry, StatePlacement } from './emit-cache.js';
import { StateFile } from './state-file.js';
import { StoredEntry, stateBytes } from './stored-entry.js';

const FORMAT = 'watch-proxy-emit-cache';
const VERSION = 1;

/** Where a sink's emit cache lives under `stateDir`. The sink name is URI-encoded into a safe file name. */
export function cacheFilePath(stateDir: string, sinkName: string): string {
  return join(stateDir, `emit-cache.${encodeURIComponent(sinkName)}.ndjson`);
}

/** Result of reading a cache file. `corrupt` carries the reason, for the warning. */
export type CacheFileRead =
  | {
      readonly status: 'loaded';
      readonly entries: readonly (readonly [string, EmitCacheEntry])[];
      /** The first journal segment the snapshot does not cover (0 in files written before the journal). */
      readonly journal: number;
      /**
       * With `statesOnDisk`: the open file the entries read their states from. Retire it once they are in the
       * cache (it closes when the last is replaced).
       */
      readonly file?: StateFile | undefined;
    }
  | { readonly status: 'missing' }
  | { readonly status: 'corrupt'; readonly reason: string };

const LINE_END = Buffer.from(']\n');
/** Lines are handed to the file stream in chunks of about this many bytes, not one write each. */
const CHUNK_BYTES = 64 * 1024;

/** The text before an entry's state on its line: the state follows it, then `]`. */
function headOf(key: string, e: EmitCacheEntry): string {
  const head = JSON.stringify([key, e.fingerprint, e.resource, e.uid, e.namespace, e.name, e.assetId, e.uniqueId, e.deliveredAt]);
  return `${head.slice(0, -1)},`;
}

function* lines(sinkName: string, entries: Iterable<[string, EmitCacheEntry]>, savedAt: number, journal: number, placed?: StatePlacement): Generator<Buffer> {
  const header = Buffer.from(`${JSON.stringify({ format: FORMAT, version: VERSION, sink: sinkName, savedAt, journal })}\n`);
  let chunk: Buffer[] = [header];
  let chunkBytes = header.length;
  let position = header.length;
  for (const [key, e] of entries) {
    // `state` is already canonical JSON: spliced in as a value, not re-escaped as a string; a state on disk is
    // copied as bytes, never decoded.
    const head = Buffer.from(headOf(key, e));
    const state = stateBytes(e);
    if (placed !== undefined) {
      placed.keys.push(key);
      placed.entries.push(e);
      placed.offsets.push(position + head.length);
      placed.lengths.push(state.length);
    }
    chunk.push(head, state, LINE_END);
    const bytes = head.length + state.length + LINE_END.length;
    position += bytes;
    chunkBytes += bytes;
    if (chunkBytes >= CHUNK_BYTES) {
      yield Buffer.concat(chunk, chunkBytes);
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunkBytes > 0) yield Buffer.concat(chunk, chunkBytes);
}

/**
 * Writes the cache crash-safely: NDJSON streamed to a temp file in the same directory, flushed to disk, then
 * renamed over the old file (atomic on POSIX), so a crash leaves either the old or the new file, never half.
 * Created 0600 (it holds object states). `journal`: the first journal segment this snapshot does not cover.
 * `placed`, when given, is filled with where each entry's state lies in the file (`EmitCache.relocate`).
 */
export async function writeCacheFile(
  path: string,
  sinkName: string,
  entries: Iterable<[string, EmitCacheEntry]>,
  savedAt: number,
  journal = 0,
  placed?: StatePlacement,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await pipeline(Readable.from(lines(sinkName, entries, savedAt, journal, placed)), createWriteStream(temp, { flush: true, mode: 0o600 }));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Persist the rename itself; best effort (not every filesystem allows fsync on a directory).
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // the data is in the file; only the directory entry's durability is uncertain
  }
}

/** The lines of a file as bytes, each with the offset it starts at (what a state read back later needs). */
async function* byteLines(path: string): AsyncGenerator<readonly [Buffer, number]> {
  let pieces: Buffer[] = [];
  let lineStart = 0;
  let offset = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) {
        if (from < chunk.length) pieces.push(chunk.subarray(from));
        break;
      }
      pieces.push(chunk.subarray(from, nl));
      yield [pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), lineStart];
      pieces = [];
      from = nl + 1;
      lineStart = offset + from;
    }
    offset += chunk.length;
  }
  if (pieces.length > 0) yield [Buffer.concat(pieces), lineStart];
}

/** Options of `readCacheFile`. */
export interface ReadCacheFileOptions {
  /** Entries read their states from the file (kept open, see `CacheFileRead.file`) instead of holding them. */
  readonly statesOnDisk?: boolean;
}

/** Reads a cache file written by `writeCacheFile`. Never throws: unusable content is reported as `corrupt`. */
export async function readCacheFile(path: string, options: ReadCacheFileOptions = {}): Promise<CacheFileRead> {
  let file: StateFile | undefined;
  if (options.statesOnDisk === true) {
    try {
      file = StateFile.openSnapshot(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      return { status: 'corrupt', reason: error instanceof Error ? error.message : String(error) };
    }
  }
  const read = await readLines(path, file);
  if (read.status !== 'loaded') file?.close();
  return read;
}

async function readLines(path: string, file: StateFile | undefined): Promise<CacheFileRead> {
  const entries: (readonly [string, EmitCacheEntry])[] = [];
  let header = true;
  let journal = 0;
  let lineNumber = 0;
  try {
    for await (const [bytes, start] of byteLines(path)) {
      lineNumber++;
      // The reader this replaced (readline) dropped a CR before the LF; so does this one.
      const line = bytes.toString('utf8').replace(/\r$/, '');
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // Not the parser's message: it quotes the line, and entries hold object states (Secret data with
        // includeSecretData), while this reason is logged.
        return { status: 'corrupt', reason: `line ${String(lineNumber)} is not valid JSON` };
      }
      if (header) {
        const h = parsed as Record<string, unknown>;
        if (h['format'] !== FORMAT || h['version'] !== VERSION) {
          return { status: 'corrupt', reason: 'unknown header' };
        }
        const covers = h['journal'];
        if (typeof covers === 'number' && Number.isSafeInteger(covers) && covers >= 0) journal = covers;
        header = false;
        continue;
      }
      if (!Array.isArray(parsed) || parsed.length !== 10) return { status: 'corrupt', reason: 'bad entry' };
      const [key, fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state] = parsed as unknown[];
      const strings = [key, fingerprint, resource, uid, namespace, name, assetId, uniqueId];
      if (strings.some((s) => typeof s !== 'string') || typeof deliveredAt !== 'number') {
        return { status: 'corrupt', reason: 'bad entry' };
      }
      const fields = {
        fingerprint: fingerprint as string,
        resource: resource as string,
        uid: uid as string,
        namespace: namespace as string,
        name: name as string,
        assetId: assetId as string,
        uniqueId: uniqueId as string,
        deliveredAt,
      };
      // The state's bytes as `writeCacheFile` laid them: after the head, before the closing `]`.
      const head = file === undefined ? '' : headOf(key as string, { ...fields, state: '' });
      if (file !== undefined && bytes.at(-1) !== 13 && line.startsWith(head) && line.endsWith(']')) {
        const headBytes = Buffer.byteLength(head);
        entries.push([key as string, new StoredEntry(fields, file, start + headBytes, bytes.length - headBytes - 1)]);
        continue;
      }
      // canonicalJson, not JSON.stringify: parsing reorders integer-like keys.
      entries.push([key as string, { ...fields, state: canonicalJson(state) }]);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: error instanceof Error ? error.message : String(error) };
  }
  if (header) return { status: 'corrupt', reason: 'empty file' };
  return { status: 'loaded', entries, journal, file };
}
