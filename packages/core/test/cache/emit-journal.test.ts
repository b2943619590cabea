import { appendFile, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheFilePath } from '../../src/cache/cache-file.js';
import { CachePersister } from '../../src/cache/cache-persister.js';
import { EmitCache, UNCONFIRMED_FINGERPRINT } from '../../src/cache/emit-cache.js';
import { journalSegmentPath } from '../../src/cache/emit-journal.js';
import { silentLogger } from '../../src/logger.js';
import type { Batch, Change, ChangeEvent } from '../../src/types.js';
import { change as fixtureChange } from '../deliver/fixtures.js';

let dir: string;
let stateDir: string;
/** Every persister a test booted: "crashed" ones too, whose files must still be closed once the test is over. */
const booted: CachePersister[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wp-journal-'));
  stateDir = join(dir, 'state');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.allSettled(booted.splice(0).map((p) => p.stop()));
  await rm(dir, { recursive: true, force: true });
});

/** The deliver fixtures' change, argument order of this file: most of its changes are adds. */
function change(name: string, value: number, event: ChangeEvent = 'add', uid = `u-${name}`): Change {
  return fixtureChange(event, name, value, uid);
}

function batch(...items: Change[]): Batch {
  return { id: 'b', items, bytes: 0, createdAt: 0 };
}

/** A process: its cache and persister, loaded from `stateDir`. Dropping it without `stop()` is a `kill -9`. */
async function boot(errors: Error[] = []): Promise<{ cache: EmitCache; persister: CachePersister; restored: boolean }> {
  const cache = new EmitCache({ ttlMs: 0, now: () => 1000 });
  const persister = new CachePersister({ stateDir, sinkName: 'sink', cache, logger: silentLogger, intervalMs: 3_600_000, now: () => 1000, onError: (e) => errors.push(e) });
  booted.push(persister);
  const restored = await persister.load();
  return { cache, persister, restored };
}

describe('emit cache journal', () => {
  it('remembers an object sent but never confirmed before a crash: restored unconfirmed, with the state a delete needs', async () => {
    const first = await boot();
    const a = change('a', 1);
    await first.persister.intend(batch(a));
    // kill -9 during the send: no delivery recorded, no snapshot written, no close.

    const second = await boot();
    expect(second.restored).toBe(true);
    const entry = second.cache.get(a.key);
    expect(entry).toMatchObject({ uid: 'u-a', fingerprint: UNCONFIRMED_FINGERPRINT, name: 'a', uniqueId: 'c-u-a' });
    expect(JSON.parse(entry?.state ?? 'null')).toEqual(a.object);
    // Never fresh: if the object still exists it is sent again.
    expect(second.cache.isFresh(a)).toBe(false);
  });

  it('confirms what was delivered after its intent, and forgets a delivered delete, without a snapshot in between', async () => {
    const first = await boot();
    const a = change('a', 1);
    const b = change('b', 1);
    await first.persister.intend(batch(a, b));
    first.cache.recordDelivered(a);
    first.cache.recordDelivered(b);
    const bGone = change('b', 1, 'delete');
    await first.persister.intend(batch(bGone, change('c', 1)));
    first.cache.recordDelivered(bGone);
    // The delivery records are written without an fsync of their own: the next batch's intent carries them.
    await first.persister.intend(batch(change('d', 1)));

    const second = await boot();
    expect(second.cache.get(a.key)).toMatchObject({ fingerprint: a.fingerprint, deliveredAt: 1000 });
    expect(second.cache.isFresh(a)).toBe(true);
    expect(second.cache.get(bGone.key)).toBeUndefined();
    expect(second.cache.get('configmaps|ns/c')?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
    expect(second.cache.get('configmaps|ns/d')?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
  });

  it('an unconfirmed update of a held object keeps its last confirmed state for the delete', async () => {
    const first = await boot();
    const v1 = change('a', 1);
    await first.persister.intend(batch(v1));
    first.cache.recordDelivered(v1);
    await first.persister.persist();
    await first.persister.intend(batch(change('a', 2, 'update')));

    const second = await boot();
    const entry = second.cache.get(v1.key);
    expect(entry?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
    expect(JSON.parse(entry?.state ?? 'null')).toEqual(v1.object);
  });

  it('a snapshot replaces the segments it covers and carries unconfirmed intents into the next one', async () => {
    const first = await boot();
    const a = change('a', 1);
    const b = change('b', 1);
    await first.persister.intend(batch(a, b));
    first.cache.recordDelivered(a);
    await first.persister.persist();
    expect((await readdir(stateDir)).sort()).toEqual(['emit-cache.sink.1.journal', 'emit-cache.sink.ndjson']);

    const second = await boot();
    expect(second.cache.get(a.key)?.fingerprint).toBe(a.fingerprint);
    expect(second.cache.get(b.key)?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
    // Start-up compacted what it replayed: one snapshot, one fresh segment.
    expect((await readdir(stateDir)).sort()).toEqual(['emit-cache.sink.3.journal', 'emit-cache.sink.ndjson']);
  });

  it('group commit: one fsync per batch, whatever its size, and none for a retry of the same batch', async () => {
    const first = await boot();
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const syncs = vi.spyOn(proto, 'datasync');
    const items = Array.from({ length: 200 }, (_v, i) => change(`o${i}`, 1));
    await first.persister.intend(batch(...items));
    expect(syncs).toHaveBeenCalledTimes(1);
    await first.persister.intend(batch(...items));
    expect(syncs).toHaveBeenCalledTimes(1);
  });

  it('ignores a torn last line (a crash cut the write) and still replays the rest', async () => {
    const first = await boot();
    const a = change('a', 1);
    await first.persister.intend(batch(a));
    await appendFile(journalSegmentPath(stateDir, 'sink', 0), '["i","configmaps|ns/b","u-b"');
    const errors: Error[] = [];
    const second = await boot(errors);
    expect(second.cache.get(a.key)?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
    expect(second.cache.size).toBe(1);
    expect(errors).toEqual([]);
  });

  it('creates its directory 0700 and every file 0600 (they hold object states)', async () => {
    const first = await boot();
    const a = change('a', 1);
    await first.persister.intend(batch(a));
    first.cache.recordDelivered(a);
    await first.persister.stop();
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(cacheFilePath(stateDir, 'sink'))).mode & 0o777).toBe(0o600);
    for (const name of await readdir(stateDir)) expect(((await stat(join(stateDir, name))).mode & 0o777).toString(8)).toBe('600');
  });
});
