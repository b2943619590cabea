import { describe, expect, it } from 'vitest';
import { ConfigMapCacheStore } from '../../src/cache/cluster-store-configmaps.js';
import { FakeSource } from '../../src/testing/fake-source.js';
import { MemorySink } from '../../src/testing/memory-sink.js';
import type { Batch, KubeObject } from '../../src/types.js';
import { WatchProxy } from '../../src/watch-proxy.js';
import { FakeConfigMapApi } from './fake-configmap-api.js';

const INTENTS = '/api/v1/namespaces/wp/configmaps/watch-proxy-emit-cache-intents';

function cm(name: string, value: unknown = 1): KubeObject {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}` }, data: { value } };
}

/** A proxy whose cluster store saves only once, at the start (the next save is an hour away): what a crash finds. */
function proxy(api: FakeConfigMapApi, source: FakeSource, sink: MemorySink): WatchProxy {
  return new WatchProxy({
    resources: ['configmaps'],
    watchSource: source.factory,
    sinks: [sink],
    emitIntervalMs: 0,
    emitBatchMaxObjects: 5,
    sharedCache: new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 }),
    sharedCacheIntervalMs: 3_600_000,
  });
}

describe('the cluster store records sends ahead of them (stateStore: cluster without a stateDir)', () => {
  it('one intent-log write per batch carrying a new object, none for updates of known ones; a new process deletes what was sent since the last save', async () => {
    const api = new FakeConfigMapApi();
    const objects = Array.from({ length: 12 }, (_v, i) => cm(`o${String(i)}`));
    // A first process delivers them and stops cleanly: the shards hold them, the intent log is empty.
    const p0 = proxy(api, new FakeSource({ configmaps: objects }), new MemorySink({ name: 'inventory' }));
    await p0.start();
    await p0.flush();
    await p0.shutdown();
    expect(api.objects.get(INTENTS)?.binaryData).toEqual({});

    const source = new FakeSource({ configmaps: objects });
    const sink = new MemorySink({ name: 'inventory' });
    const p1 = proxy(api, source, sink);
    const batches: Batch[] = [];
    p1.on('emitted', ({ batch }) => batches.push(batch));
    await p1.start();
    await p1.flush();
    expect(sink.changes).toEqual([]);
    const written = (): number => api.writes.get(INTENTS) ?? 0;
    const before = written();

    // Updates of objects the store holds: no write at all.
    for (const object of objects) source.update('configmaps', { ...object, data: { value: 2 } });
    await p1.flush();
    expect(sink.changes.filter((c) => c.event === 'update')).toHaveLength(12);
    expect(written()).toBe(before);

    // New objects, alone and mixed with updates: exactly one write per batch that carries one.
    batches.length = 0;
    source.add('configmaps', cm('new-0'));
    await p1.flush();
    source.add('configmaps', cm('new-1'));
    source.add('configmaps', cm('new-2'));
    source.update('configmaps', cm('o0', 3));
    source.update('configmaps', cm('o1', 3));
    await p1.flush();
    for (let i = 2; i < 12; i++) source.update('configmaps', cm(`o${String(i)}`, 3));
    await p1.flush();
    const carrying = batches.filter((b) => b.items.some((c) => c.name.startsWith('new-'))).length;
    expect(carrying).toBeGreaterThanOrEqual(2);
    expect(written() - before).toBe(carrying);

    // kill -9: the store as it is now (the shards do not hold new-*), the first process never heard of again.
    const crashed = new FakeConfigMapApi(api.objects);
    p1.destroy();
    const gone = ['new-0', 'new-1', 'new-2', 'o5'];
    const left = [...objects.filter((o) => (o['metadata'] as { name: string }).name !== 'o5').map((o) => ({ ...o, data: { value: 3 } }))];
    const after = new MemorySink({ name: 'inventory' });
    const p2 = proxy(crashed, new FakeSource({ configmaps: left }), after);
    await p2.start();
    await p2.flush();
    expect(after.changes.filter((c) => c.event === 'delete').map((c) => c.name).sort()).toEqual(gone.sort());
    // The delete carries the object as it was sent.
    expect(after.changes.find((c) => c.name === 'new-1')?.object['data']).toEqual({ value: 1 });
    // The rest were known (their last updates, never saved, are sent again: at least once, never missing).
    expect(after.changes.filter((c) => c.event !== 'delete').every((c) => c.event === 'update' && c.name.startsWith('o'))).toBe(true);
    await p2.shutdown();
  });
});
