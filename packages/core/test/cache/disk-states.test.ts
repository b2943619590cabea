import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFilePath, writeCacheFile } from '../../src/cache/cache-file.js';
import { CachePersister } from '../../src/cache/cache-persister.js';
import { EmitCache, deleteFromEntry, type EmitCacheEntry } from '../../src/cache/emit-cache.js';
import { StoredEntry } from '../../src/cache/stored-entry.js';
import { canonicalJson, fingerprintOf } from '../../src/payload/canonical-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { Logger } from '../../src/logger.js';
import type { Change } from '../../src/types.js';

const SINK = 'http:inventory/1';
let dir: string;
const made: CachePersister[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wp-disk-states-'));
});
afterEach(async () => {
  await Promise.allSettled(made.splice(0).map((p) => p.stop()));
  await rm(dir, { recursive: true, force: true });
});

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet };

/** A ConfigMap change whose state has multi-byte UTF-8 in it (offsets are in bytes, lengths in characters differ). */
function change(name: string, value: string, uid = `u-${name}`): Change {
  const object = deepFreeze({ metadata: { name, namespace: 'ns', uid }, data: { value, note: 'grüße 🚀 ✓', '10': 1, '9': 2 } });
  return {
    key: `configmaps|ns/${name}`,
    resource: 'configmaps',
    event: 'update',
    object,
    uid,
    namespace: 'ns',
    name,
    assetId: 'cm',
    uniqueId: `cm-${uid}`,
    fingerprint: fingerprintOf(object),
    observedAt: 0,
  };
}

function persister(cache: EmitCache, stateMemoryChars: number, errors: Error[] = []): CachePersister {
  const p = new CachePersister({ stateDir: dir, sinkName: SINK, cache, logger: quiet, intervalMs: 60_000, now: () => 5, onError: (e) => errors.push(e), stateMemoryChars });
  made.push(p);
  return p;
}

/** What the cache says the receiver holds: key -> state, as any reader sees it. */
function states(cache: EmitCache): Map<string, string> {
  return new Map([...cache.entries()].map(([key, entry]) => [key, entry.state]));
}

describe('emit cache states on disk', () => {
  it('keeps at most its budget of states in memory and reads the rest back exactly', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const size = canonicalJson(change('o0', 'v').object).length;
    await persister(cache, size * 10).load();
    const last = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) {
        const c = change(`o${String(i)}`, `v${String(round)}`);
        cache.recordDelivered(c);
        last.set(c.key, canonicalJson(c.object));
        expect(cache.stateCharsInMemory).toBeLessThanOrEqual(size * 10);
      }
    }
    expect(states(cache)).toEqual(last);
    expect([...cache.entries()].filter(([, e]) => e instanceof StoredEntry).length).toBeGreaterThanOrEqual(40);
    // A missed delete of a spilled object carries the state last delivered, parsed whole.
    const spilled = [...cache.entries()].find(([, e]) => e instanceof StoredEntry)!;
    const del = deleteFromEntry(spilled[0], spilled[1], 'relist', 9);
    expect(canonicalJson(del.object)).toBe(last.get(spilled[0]));
  });

  it('after a snapshot reads every state from it, holds none in memory, and closes the files no entry needs', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const p = persister(cache, 2_000);
    await p.load();
    for (let i = 0; i < 20; i++) cache.recordDelivered(change(`o${String(i)}`, 'first'));
    const spills = new Set([...cache.entries()].flatMap(([, e]) => (e instanceof StoredEntry ? [e.file] : [])));
    expect(spills.size).toBe(1);
    const before = states(cache);
    await p.persist();
    expect(cache.stateCharsInMemory).toBe(0);
    expect(states(cache)).toEqual(before);
    const files = new Set([...cache.entries()].map(([, e]) => (e as StoredEntry).file));
    expect(files.size).toBe(1);
    expect([...spills][0]!.open).toBe(false); // the spill it replaced
    // A second snapshot after changes: copies from the first, which then closes.
    const first = [...files][0]!;
    cache.recordDelivered(change('o3', 'second'));
    await p.persist();
    expect(first.open).toBe(false);
    expect(states(cache).get('configmaps|ns/o3')).toBe(canonicalJson(change('o3', 'second').object));
    expect(states(cache)).toEqual(new Map([...before, ['configmaps|ns/o3', canonicalJson(change('o3', 'second').object)]]));
    // Nothing but the snapshot and the journal stays in the directory (the spill files are unlinked at once).
    expect((await readdir(dir)).sort()).toEqual(['emit-cache.http%3Ainventory%2F1.2.journal', 'emit-cache.http%3Ainventory%2F1.ndjson']);
  });

  it('loads a snapshot without reading its states into memory; a missed delete after the restart carries the last one', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const p = persister(cache, 1_000_000);
    await p.load();
    for (let i = 0; i < 5; i++) cache.recordDelivered(change(`o${String(i)}`, 'v1'));
    cache.recordDelivered(change('o2', 'v2'));
    await p.stop();

    const restored = new EmitCache({ ttlMs: 0, now: () => 7 });
    await persister(restored, 1_000_000).load();
    expect(restored.size).toBe(5);
    expect(restored.stateCharsInMemory).toBe(0);
    const entry = restored.get('configmaps|ns/o2')!;
    expect(entry).toBeInstanceOf(StoredEntry);
    const del = deleteFromEntry('configmaps|ns/o2', entry, 'restart', 9);
    expect(del.object).toEqual(change('o2', 'v2').object);
    expect(restored.isFresh(change('o4', 'v1'))).toBe(true); // nothing unchanged is sent again
  });

  it('loads a snapshot written with every state in memory (the format of earlier versions) and reads it by offset', async () => {
    const entries: [string, EmitCacheEntry][] = ['a', 'b'].map((name) => {
      const c = change(name, `value of ${name}`);
      const entry = { fingerprint: c.fingerprint, resource: c.resource, uid: c.uid, namespace: 'ns', name, assetId: 'cm', uniqueId: c.uniqueId, deliveredAt: 3, state: canonicalJson(c.object) };
      return [c.key, entry];
    });
    await writeCacheFile(cacheFilePath(dir, SINK), SINK, entries, 1, 0);
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    expect(await persister(cache, 1_000_000).load()).toBe(true);
    expect([...cache.entries()].every(([, e]) => e instanceof StoredEntry)).toBe(true);
    expect(states(cache)).toEqual(new Map(entries.map(([key, e]) => [key, e.state])));
  });

  it('a snapshot truncated behind its back is reported, and deletes then carry the minimal object', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const errors: Error[] = [];
    const p = persister(cache, 1_000_000, errors);
    await p.load();
    cache.recordDelivered(change('a', 'v'));
    await p.persist();
    await truncate(p.path, 10);
    const del = deleteFromEntry('configmaps|ns/a', cache.get('configmaps|ns/a')!, 'relist', 9);
    expect(del.object).toEqual({ metadata: { name: 'a', namespace: 'ns', uid: 'u-a' } });
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('reading a delivered state back from the emit cache')]);
  });

  it('a state recorded while a snapshot is written stays what was recorded', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const p = persister(cache, 1_000);
    await p.load();
    for (let i = 0; i < 30; i++) cache.recordDelivered(change(`o${String(i)}`, 'old'));
    const writing = p.persist();
    const newer = change('o1', 'newer');
    cache.recordDelivered(newer);
    await writing;
    expect(cache.get(newer.key)!.state).toBe(canonicalJson(newer.object));
    await p.persist();
    expect(cache.get(newer.key)!.state).toBe(canonicalJson(newer.object));
  });

  it('closes its files at stop', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const p = persister(cache, 500);
    await p.load();
    for (let i = 0; i < 10; i++) cache.recordDelivered(change(`o${String(i)}`, 'v'));
    await p.stop();
    expect([...cache.entries()].every(([, e]) => !(e as StoredEntry).file.open)).toBe(true);
  });
});
