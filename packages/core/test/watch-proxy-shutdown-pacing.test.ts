import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { delivered } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';

function cm(name: string, value: unknown): KubeObject {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: String(value) }, data: { value } };
}

function seen(sink: MemorySink): Map<string, unknown> {
  return new Map([...sink.view()].map(([key, object]) => [key, (object['data'] as { value: unknown }).value]));
}

function truth(objects: Iterable<KubeObject>): Map<string, unknown> {
  return new Map(
    [...objects].map((o) => [`configmaps|default/${(o['metadata'] as { name: string }).name}`, (o['data'] as { value: unknown }).value]),
  );
}

const INTERVAL_MS = 100;

describe('WatchProxy shutdown', () => {
  it('drains at one batch per emitInterval, and the next start re-derives from the persisted cache what did not fit', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-pacing-'));
    try {
      // One receiver across both runs; it records when each batch reached it.
      const startedAt: number[] = [];
      const sink = new MemorySink({
        name: 'rate-limited',
        behaviour: () => {
          startedAt.push(Date.now());
          return delivered();
        },
      });
      const cluster = new Map<string, KubeObject>();
      for (let i = 0; i < 10; i++) cluster.set(`o${i}`, cm(`o${i}`, 1));
      const options = { resources: ['configmaps'], sinks: [sink], stateDir, emitIntervalMs: INTERVAL_MS, emitBatchMaxObjects: 2 };

      const source1 = new FakeSource({ configmaps: [...cluster.values()] });
      const first = new WatchProxy({ ...options, watchSource: source1.factory });
      await first.start();
      expect(await first.flush({ timeoutMs: 10_000 })).toBe(true);
      expect(seen(sink)).toEqual(truth(cluster.values()));

      // 16 changes queued (8 batches of 2), then SIGTERM with room for only a few intervals.
      for (let i = 0; i < 6; i++) {
        const next = cm(`o${i}`, 2);
        cluster.set(`o${i}`, next);
        source1.update('configmaps', next);
      }
      for (const name of ['o6', 'o7', 'o8', 'o9']) {
        source1.remove('configmaps', cluster.get(name) as KubeObject);
        cluster.delete(name);
      }
      for (const name of ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']) {
        cluster.set(name, cm(name, 1));
        source1.add('configmaps', cluster.get(name) as KubeObject);
      }
      const before = startedAt.length;
      const report = await first.shutdown({ timeoutMs: 2.5 * INTERVAL_MS });

      const during = startedAt.slice(before);
      expect(during.length).toBeGreaterThan(0);
      expect(during.length).toBeLessThan(8);
      // The promise a rate-limited receiver relies on: never two batches closer than the interval, shutdown or not.
      for (let i = 1; i < during.length; i++) expect((during[i] ?? 0) - (during[i - 1] ?? 0)).toBeGreaterThanOrEqual(INTERVAL_MS - 1);
      expect(report.drained).toBe(false);
      expect(report.dropped.shutdown ?? 0).toBeGreaterThan(0);
      expect(seen(sink)).not.toEqual(truth(cluster.values()));

      // While down: one more delete and one more update.
      cluster.delete('n0');
      cluster.set('o0', cm('o0', 3));

      // The next start (same stateDir, the cluster as it is now) sends exactly what the receiver misses.
      const source2 = new FakeSource({ configmaps: [...cluster.values()] });
      const second = new WatchProxy({ ...options, watchSource: source2.factory });
      await second.start();
      expect(await second.flush({ timeoutMs: 10_000 })).toBe(true);
      expect(seen(sink)).toEqual(truth(cluster.values()));
      await second.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
