import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canonicalJson } from '../payload/canonical-json.js';
import type { EmitCacheEntry } from './emit-cache.js';

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
    }
  | { readonly status: 'missing' }
  | { readonly status: 'corrupt'; readonly reason: string };

function* lines(sinkName: string, entries: Iterable<[string, EmitCacheEntry]>, savedAt: number, journal: number): Generator<string> {
  yield `${JSON.stringify({ format: FORMAT, version: VERSION, sink: sinkName, savedAt, journal })}\n`;
  for (const [key, e] of entries) {
    // `state` is already canonical JSON: spliced in as a value, not re-escaped as a string.
    const head = JSON.stringify([key, e.fingerprint, e.resource, e.uid, e.namespace, e.name, e.assetId, e.uniqueId, e.deliveredAt]);
    yield `${head.slice(0, -1)},${e.state}]\n`;
  }
}

/**
 * Writes the cache crash-safely: NDJSON streamed to a temp file in the same directory, flushed to disk, then
 * renamed over the old file (atomic on POSIX), so a crash leaves either the old or the new file, never half.
 * Created 0600 (it holds object states). `journal`: the first journal segment this snapshot does not cover.
 */
export async function writeCacheFile(
  path: string,
  sinkName: string,
  entries: Iterable<[string, EmitCacheEntry]>,
  savedAt: number,
  journal = 0,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await pipeline(Readable.from(lines(sinkName, entries, savedAt, journal)), createWriteStream(temp, { flush: true, mode: 0o600 }));
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

/** Reads a cache file written by `writeCacheFile`. Never throws: unusable content is reported as `corrupt`. */
export async function readCacheFile(path: string): Promise<CacheFileRead> {
  const entries: (readonly [string, EmitCacheEntry])[] = [];
  let header = true;
  let journal = 0;
  let lineNumber = 0;
  try {
    const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    for await (const line of reader) {
      lineNumber++;
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
      entries.push([
        key as string,
        {
          fingerprint: fingerprint as string,
          resource: resource as string,
          uid: uid as string,
          namespace: namespace as string,
          name: name as string,
          assetId: assetId as string,
          uniqueId: uniqueId as string,
          deliveredAt,
          // canonicalJson, not JSON.stringify: parsing reorders integer-like keys.
          state: canonicalJson(state),
        },
      ]);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: error instanceof Error ? error.message : String(error) };
  }
  if (header) return { status: 'corrupt', reason: 'empty file' };
  return { status: 'loaded', entries, journal };
}
