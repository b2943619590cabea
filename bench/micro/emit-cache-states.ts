/**
 * What keeping an emit cache's delivered states on disk costs and saves (issue 20): N ConfigMap-like objects of
 * ~2.7 KB of canonical JSON recorded as delivered into one sink's cache with a `stateDir` persister (states past the
 * memory budget spilled), then snapshotted twice (from memory and the spill, then from the previous snapshot), then
 * every state read back as a missed delete would. Heap after full GCs, against the heap before the cache existed;
 * CPU time (`process.cpuUsage`) beside wall time, since the machine is shared. `--memory` runs the same without a
 * persister: every state held in memory, as before.
 *
 *   node --expose-gc --import ./bench/micro/source-hooks.ts bench/micro/emit-cache-states.ts [N] [--memory]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeCacheFile } from '../../packages/core/src/cache/cache-file.ts';
import { CachePersister } from '../../packages/core/src/cache/cache-persister.ts';
import { EmitCache, deleteFromEntry } from '../../packages/core/src/cache/emit-cache.ts';
import { deepFreeze } from '../../packages/core/src/internal/deep-freeze.ts';
import { silentLogger } from '../../packages/core/src/logger.ts';
import { canonicalJson, fingerprintOf } from '../../packages/core/src/payload/canonical-json.ts';
import type { Change } from '../../packages/core/src/types.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const inMemory = process.argv.includes('--memory');
const fullGc = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

function change(i: number): Change {
  const name = `cm-${String(i).padStart(6, '0')}`;
  const uid = `6f1c2d3e-4a5b-4c6d-8e9f-${String(i).padStart(12, '0')}`;
  const config = Array.from({ length: 40 }, (_, j) => `key${String(j)} = value-${String((i * 31 + j) % 9973)}-${'x'.repeat(40)}`).join('\n');
  const object = deepFreeze({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'bench', uid, resourceVersion: String(1000 + i), labels: { app: 'bench', 'app.kubernetes.io/managed-by': 'Helm' } },
    data: { 'config.ini': config },
  });
  return { key: `configmaps|bench/${name}`, resource: 'configmaps', event: 'add', object, uid, namespace: 'bench', name, assetId: 'cm', uniqueId: `bench/${uid}`, fingerprint: fingerprintOf(object), observedAt: 0 };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const timed = async <T>(run: () => Promise<T> | T): Promise<{ value: T; wallMs: number; cpuMs: number }> => {
  const wall = performance.now();
  const cpu = cpuMs();
  const value = await run();
  return { value, wallMs: performance.now() - wall, cpuMs: cpuMs() - cpu };
};

const baseline = fullGc();
const changes = Array.from({ length: n }, (_, i) => change(i));
const stateChars = changes.reduce((sum, c) => sum + canonicalJson(c.object).length, 0);
const dir = mkdtempSync(join(tmpdir(), 'wp-emit-states-'));
const cache = new EmitCache({ ttlMs: 0, now: () => 1 });
const persister = inMemory ? undefined : new CachePersister({ stateDir: dir, sinkName: 'bench', cache, logger: silentLogger, intervalMs: 3_600_000, now: () => 1, onError: (e) => console.error(e) });
await persister?.load();
const recording = await timed(() => {
  for (const c of changes) cache.recordDelivered(c);
});
changes.length = 0;
const afterRecord = fullGc();
// Without a persister, the snapshot as it is written with every state in memory (what the persister did before).
const snapshot = (): Promise<void> => persister?.persist() ?? writeCacheFile(join(dir, 'snapshot.ndjson'), 'bench', cache.entries(), 1, 0);
const first = await timed(snapshot);
const second = await timed(async () => {
  // One change, so the save loop writes again: every other state is copied from the first snapshot.
  cache.recordDelivered(change(0));
  await snapshot();
});
const steady = fullGc();
const reads = await timed(() => {
  let chars = 0;
  for (const [key, entry] of cache.entries()) chars += Object.keys(deleteFromEntry(key, entry, 'relist', 1).object).length;
  return chars;
});
await persister?.stop();
rmSync(dir, { recursive: true, force: true });
const KB = 1024;
process.stdout.write(
  `${JSON.stringify({
    objects: n,
    statesOnDisk: !inMemory,
    stateBytesPerObject: Math.round(stateChars / n),
    heapPerObjectAfterRecordingKB: +((afterRecord - baseline) / n / KB).toFixed(3),
    heapPerObjectAfterSnapshotKB: +((steady - baseline) / n / KB).toFixed(3),
    recordCpuUsPerObject: +((recording.cpuMs * 1000) / n).toFixed(2),
    firstSnapshot: { wallMs: Math.round(first.wallMs), cpuMs: Math.round(first.cpuMs) },
    secondSnapshot: { wallMs: Math.round(second.wallMs), cpuMs: Math.round(second.cpuMs) },
    deleteFromEntryCpuUs: +((reads.cpuMs * 1000) / n).toFixed(2),
    load1: (await import('node:os')).loadavg()[0]!.toFixed(1),
  })}\n`,
);
