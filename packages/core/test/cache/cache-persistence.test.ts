import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFilePath, readCacheFile } from '../../src/cache/cache-file.js';
import { CachePersister } from '../../src/cache/cache-persister.js';
import { EmitCache } from '../../src/cache/emit-cache.js';
import { fingerprintOf } from '../../src/payload/canonical-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { Logger } from '../../src/logger.js';
import type { Change } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wp-cache-'));
});
afterEach(async () => {
  await Promise.allSettled(made.splice(0).map((p) => p.stop()));
  await rm(dir, { recursive: true, force: true });
});

function recordingLogger(): Logger & { lines: { level: string; msg: string | undefined }[] } {
  const lines: { level: string; msg: string | undefined }[] = [];
  const logger = {
    lines,
    debug: (_o: object, msg?: string) => lines.push({ level: 'debug', msg }),
    info: (_o: object, msg?: string) => lines.push({ level: 'info', msg }),
    warn: (_o: object, msg?: string) => lines.push({ level: 'warn', msg }),
    error: (_o: object, msg?: string) => lines.push({ level: 'error', msg }),
    child: () => logger,
  };
  return logger;
}

function change(name: string, data: unknown): Change {
  const object = deepFreeze({ metadata: { name, uid: `u-${name}`, '10': 1, '9': 2 }, data });
  return {
    key: `configmaps|ns/${name}`,
    resource: 'configmaps',
    event: 'add',
    object,
    uid: `u-${name}`,
    namespace: 'ns',
    name,
    assetId: '',
    uniqueId: `-u-${name}`,
    fingerprint: fingerprintOf(object),
    observedAt: 0,
  };
}

/** Every persister a test made; closed after the test so no file handle is left to the garbage collector. */
const made: CachePersister[] = [];

function persister(cache: EmitCache, logger: Logger, errors: Error[] = []): CachePersister {
  const p = new CachePersister({
    stateDir: join(dir, 'state'),
    sinkName: 'http:inventory/1',
    cache,
    logger,
    intervalMs: 60_000,
    now: () => 5,
    onError: (e) => errors.push(e),
  });
  made.push(p);
  return p;
}

describe('emit cache persistence', () => {
  it('round-trips entries exactly, through a temp file that does not stay behind', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    cache.recordDelivered(change('a', { text: 'line\nwith "quotes" and </script>', n: [1, null] }));
    cache.recordDelivered(change('b', {}));
    const first = persister(cache, recordingLogger());
    await first.load();
    await first.persist();
    // The snapshot and the journal segment after it (the one the snapshot replaced is gone).
    expect((await readdir(join(dir, 'state'))).sort()).toEqual(['emit-cache.http%3Ainventory%2F1.1.journal', 'emit-cache.http%3Ainventory%2F1.ndjson']);

    const restored = new EmitCache({ ttlMs: 0, now: () => 7 });
    expect(await persister(restored, recordingLogger()).load()).toBe(true);
    expect([...restored.entries()]).toEqual([...cache.entries()]);
  });

  it('writes only when the cache changed', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 7 });
    const p = persister(cache, recordingLogger());
    await p.load();
    cache.recordDelivered(change('a', 1));
    await p.persist();
    await writeFile(p.path, 'sentinel');
    await p.persist(); // nothing changed: the file is not rewritten
    expect(await readFile(p.path, 'utf8')).toBe('sentinel');
    cache.recordDelivered(change('b', 1));
    await p.stop();
    expect((await readCacheFile(p.path)).status).toBe('loaded');
  });

  it.each([
    ['garbage', 'not json at all'],
    ['a truncated entry', '{"format":"watch-proxy-emit-cache","version":1}\n["k","f"'],
    ['a foreign header', '{"format":"other","version":1}\n'],
    ['an empty file', ''],
  ])('warns and starts empty on %s', async (_label, content) => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 0 });
    const logger = recordingLogger();
    const p = persister(cache, logger);
    await p.load(); // creates the state dir
    await writeFile(p.path, content);
    expect(await p.load()).toBe(false);
    expect(cache.size).toBe(0);
    expect(logger.lines.some((l) => l.level === 'warn' && /unreadable/.test(l.msg ?? ''))).toBe(true);
  });

  it('never quotes a corrupt line in the reason it logs (the file holds object states, Secret data included when asked for)', async () => {
    const path = cacheFilePath(dir, 'x');
    await writeFile(path, '{"format":"watch-proxy-emit-cache","version":1}\n["k","f","secrets","u","ns","n","","",1,{"data":{"password":hunter2-secret}}]\n');
    const read = await readCacheFile(path);
    expect(read).toMatchObject({ status: 'corrupt' });
    expect(JSON.stringify(read)).not.toContain('hunter2');
    expect(read.status === 'corrupt' ? read.reason : '').toMatch(/line 2/);
  });

  it('starts empty without a warning when there is no file yet', async () => {
    const logger = recordingLogger();
    expect(await persister(new EmitCache({ ttlMs: 0, now: () => 0 }), logger).load()).toBe(false);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect((await readCacheFile(cacheFilePath(dir, 'x'))).status).toBe('missing');
  });

  it('reports a failed write through onError instead of throwing', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 0 });
    const errors: Error[] = [];
    const p = persister(cache, recordingLogger(), errors);
    await p.load();
    cache.recordDelivered(change('a', 1));
    await p.persist();
    await rm(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state'), 'now a file, not a directory');
    cache.recordDelivered(change('b', 1));
    await expect(p.persist()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/ENOTDIR|EEXIST|not a directory/);
  });
});
