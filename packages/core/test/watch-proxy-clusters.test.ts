// One WatchProxy, several clusters: each its own watchers, uniqueId prefix, batch `cluster`, emit-cache namespace
// (disk and cluster store) and health; sinks receive from every cluster unless they name some; clusters come and
// go while running without touching the others.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delivered } from '../src/sink/sink.js';
import type { Sink } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { Batch, KubeObject } from '../src/types.js';
import type { ClusterOptions, WatchProxyOptions } from '../src/options.js';
import type { WatchSource } from '../src/watch/watch-source.js';
import { WatchProxy } from '../src/watch-proxy.js';
import { MemorySharedCache } from './leader/ha-fixtures.js';

function cm(name: string, value: unknown = 1, uid = `uid-${name}`): KubeObject {
  return { metadata: { name, namespace: 'default', uid }, data: { value } };
}

/** uniqueId → data.value, as a receiver replaying its payloads would hold them. */
function replay(sink: MemorySink): Map<string, unknown> {
  const state = new Map<string, unknown>();
  for (const change of sink.changes) {
    if (change.event === 'delete') state.delete(change.uniqueId);
    else state.set(change.uniqueId, (change.object['data'] as { value: unknown }).value);
  }
  return state;
}

/** Every batch came from one cluster, and its items carry that cluster's uniqueId prefix. */
function batchesArePure(sink: MemorySink): boolean {
  return sink.batches.every((b) => b.cluster !== undefined && b.items.every((c) => c.uniqueId.startsWith(`${b.cluster!.name}-`)));
}

function proxy(clusters: readonly ClusterOptions[], sinks: WatchProxyOptions['sinks'], more: Partial<WatchProxyOptions> = {}): WatchProxy {
  return new WatchProxy({ resources: ['configmaps'], clusters, sinks, emitIntervalMs: 0, ...more });
}

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'wp-clusters-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('WatchProxy options.clusters', () => {
  const sink = new MemorySink();
  const a = { name: 'a', watchSource: new FakeSource().factory };

  it.each<[string, Partial<WatchProxyOptions>, RegExp]>([
    ['an empty list', { clusters: [] }, /options\.clusters must list at least one cluster/],
    ['a nameless cluster', { clusters: [{ name: '', watchSource: a.watchSource }] }, /clusters\[0\]\.name must be a non-empty string/],
    ['a cluster without access', { clusters: [{ name: 'a' }] }, /clusters\[0\]\.kubeConfig is required unless watchSource is given/],
    ['a name twice', { clusters: [a, a] }, /clusters\[1\]\.name is listed twice \(got "a"\)/],
    ['clusterName beside clusters', { clusters: [a], clusterName: 'x' }, /options\.clusterName must be absent with clusters/],
    ['watchSource beside clusters', { clusters: [a], watchSource: a.watchSource }, /options\.watchSource must be absent with clusters/],
    ['a sink naming an unknown cluster', { clusters: [a], sinks: [{ sink, clusters: ['b'] }] }, /sinks\[0\]\.clusters\[0\] must name one of the clusters \(a\) \(got "b"\)/],
    ['a sink naming clusters without clusters', { watchSource: a.watchSource, sinks: [{ sink, clusters: ['a'] }] }, /sinks\[0\]\.clusters needs WatchProxy options\.clusters/],
    ['clusterUid that is not a boolean', { watchSource: a.watchSource, clusterUid: 'yes' as unknown as boolean }, /options\.clusterUid must be a boolean \(got "yes"\)/],
    ['clusterUid without a kubeConfig to read it', { watchSource: a.watchSource, clusterUid: true }, /options\.kubeConfig is required with clusterUid/],
    ['clusterUid of a cluster without a kubeConfig', { clusters: [{ ...a, clusterUid: true }] }, /clusters\[0\]\.kubeConfig is required with clusterUid/],
    ['clusterUid inherited by a cluster without a kubeConfig', { clusters: [a], clusterUid: true }, /clusters\[0\]\.kubeConfig is required with clusterUid/],
  ])('refuses %s', (_what, options, message) => {
    expect(() => new WatchProxy({ resources: ['configmaps'], sinks: [sink], ...options })).toThrow(message);
  });

  it('refuses addCluster on a proxy without clusters, and a name already watched', async () => {
    const single = new WatchProxy({ resources: ['configmaps'], sinks: [new MemorySink()], watchSource: new FakeSource().factory });
    await expect(single.addCluster({ name: 'b', watchSource: new FakeSource().factory })).rejects.toThrow(/needs a WatchProxy made with options\.clusters/);
    const multi = proxy([{ name: 'a', watchSource: new FakeSource().factory }], [new MemorySink()]);
    await expect(multi.addCluster({ name: 'a', watchSource: new FakeSource().factory })).rejects.toThrow(/cluster "a" is already watched/);
    // An added cluster inherits the proxy's clusterUid, unless it turns it off for itself.
    const withUid = proxy([{ name: 'a', watchSource: new FakeSource().factory, clusterUid: false }], [new MemorySink()], { clusterUid: true });
    await expect(withUid.addCluster({ name: 'b', watchSource: new FakeSource().factory })).rejects.toThrow(/addCluster\(cluster\)\.kubeConfig is required with clusterUid/);
    await withUid.addCluster({ name: 'c', watchSource: new FakeSource().factory, clusterUid: false });
  });
});

describe('WatchProxy with several clusters', () => {
  it('delivers every cluster, each batch from one cluster, the same name in two clusters as two objects', async () => {
    const a = new FakeSource({ configmaps: [cm('web', 'a1'), cm('only-a', 'a2')] });
    // Same name and uid in b: another cluster's object all the same (uids are unique per cluster only).
    const b = new FakeSource({ configmaps: [cm('web', 'b1')] });
    const all = new MemorySink({ name: 'all' });
    const onlyB = new MemorySink({ name: 'only-b' });
    const p = proxy(
      [
        { name: 'a', watchSource: a.factory, metadata: { region: 'eu' } },
        { name: 'b', watchSource: b.factory },
      ],
      [all, { sink: onlyB, clusters: ['b'] }],
      { stateDir },
    );
    await p.start();
    await p.flush();
    expect(replay(all)).toEqual(new Map([['a-uid-web', 'a1'], ['a-uid-only-a', 'a2'], ['b-uid-web', 'b1']]));
    expect(replay(onlyB)).toEqual(new Map([['b-uid-web', 'b1']]));
    expect(batchesArePure(all)).toBe(true);
    expect(batchesArePure(onlyB)).toBe(true);
    expect(all.batches.find((batch) => batch.cluster?.name === 'a')?.cluster).toEqual({ name: 'a', metadata: { region: 'eu' } });
    expect(all.changes.find((c) => c.uniqueId === 'a-uid-web')?.object['metadata']).toMatchObject({ uniqueId: 'a-uid-web' });

    b.update('configmaps', cm('web', 'b2'));
    a.remove('configmaps', cm('only-a'));
    await p.flush();
    expect(replay(all)).toEqual(new Map([['a-uid-web', 'a1'], ['b-uid-web', 'b2']]));
    expect(replay(onlyB)).toEqual(new Map([['b-uid-web', 'b2']]));

    const stats = p.stats();
    expect(stats.clusters?.['a']?.sinks['all']?.delivered).toBe(3);
    expect(stats.clusters?.['b']?.sinks['only-b']?.delivered).toBe(2);
    expect(stats.clusters?.['a']?.sinks['only-b']).toBeUndefined();
    expect(stats.sinks['all']?.delivered).toBe(5);
    expect(stats.synced).toEqual(['configmaps']);
    await p.shutdown();
    // One state namespace per cluster; nothing in the root, where a proxy without clusters keeps its state.
    expect((await readdir(stateDir)).sort()).toEqual(['clusters']);
    expect((await readdir(join(stateDir, 'clusters'))).sort()).toEqual(['a', 'b']);
    expect((await readdir(join(stateDir, 'clusters', 'a'))).filter((f) => f.startsWith('emit-cache.only-b'))).toEqual([]);
  });

  it('restarts from each cluster’s own state: nothing unchanged re-sent, each cluster’s missed deletes found', async () => {
    const objects = [cm('web', 1), cm('db', 1)];
    const first = new MemorySink({ name: 'inv' });
    const p1 = proxy(
      [
        { name: 'a', watchSource: new FakeSource({ configmaps: objects }).factory },
        { name: 'b', watchSource: new FakeSource({ configmaps: objects }).factory },
      ],
      [first],
      { stateDir },
    );
    await p1.start();
    await p1.flush();
    await p1.shutdown();
    expect(first.changes).toHaveLength(4);

    // While down: db deleted in a only; web changed in b only.
    const second = new MemorySink({ name: 'inv' });
    const p2 = proxy(
      [
        { name: 'a', watchSource: new FakeSource({ configmaps: [cm('web', 1)] }).factory },
        { name: 'b', watchSource: new FakeSource({ configmaps: [cm('web', 2), cm('db', 1)] }).factory },
      ],
      [second],
      { stateDir },
    );
    await p2.start();
    await p2.flush();
    await p2.shutdown();
    expect(second.changes.map((c) => `${c.event}:${c.uniqueId}${c.synthesized === undefined ? '' : `:${c.synthesized}`}`).sort()).toEqual([
      'delete:a-uid-db:restart',
      'update:b-uid-web',
    ]);
  });

  it('keeps each cluster’s part of the cluster store apart, under its own name', async () => {
    const store = new MemorySharedCache();
    const p = proxy(
      [
        { name: 'a', watchSource: new FakeSource({ configmaps: [cm('web', 1)] }).factory },
        { name: 'b', watchSource: new FakeSource({ configmaps: [cm('web', 2), cm('db')] }).factory },
      ],
      [new MemorySink({ name: 'inv' })],
      { sharedCache: store, sharedCacheIntervalMs: 10 },
    );
    await p.start();
    await p.flush();
    await p.shutdown();
    expect([...store.sinks.keys()].sort()).toEqual(['cluster:a/inv', 'cluster:b/inv']);
    expect(store.sinks.get('cluster:a/inv')?.size).toBe(1);
    expect(store.sinks.get('cluster:b/inv')?.size).toBe(2);
  });

  it('never calls one sink concurrently, though each cluster has its own lane', async () => {
    let inFlight = 0;
    let most = 0;
    const batches: Batch[] = [];
    const slow: Sink = {
      name: 'slow',
      async send(batch) {
        inFlight++;
        most = Math.max(most, inFlight);
        // Yield a few turns so that a concurrent call, if any, would start meanwhile.
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        batches.push(batch);
        inFlight--;
        return delivered();
      },
    };
    const many = (prefix: string): KubeObject[] => Array.from({ length: 30 }, (_, i) => cm(`${prefix}${i}`));
    const p = proxy(
      [
        { name: 'a', watchSource: new FakeSource({ configmaps: many('a') }).factory },
        { name: 'b', watchSource: new FakeSource({ configmaps: many('b') }).factory },
        { name: 'c', watchSource: new FakeSource({ configmaps: many('c') }).factory },
      ],
      [slow],
      { emitBatchMaxObjects: 5 },
    );
    await p.start();
    await p.flush();
    await p.shutdown();
    expect(batches.flatMap((b) => b.items)).toHaveLength(90);
    expect(new Set(batches.map((b) => b.cluster?.name))).toEqual(new Set(['a', 'b', 'c']));
    expect(most).toBe(1);
  });

  it('lets a cluster that cannot list degrade alone: the others flow, health says which', async () => {
    // Never lists (an unreachable apiserver being retried): start resolves, nothing syncs.
    const down: WatchSource = {
      start: async () => {},
      stop: async () => {},
      health: () => [{ resource: 'configmaps', state: 'backoff', synced: false } as never],
    };
    const up = new FakeSource({ configmaps: [cm('web')] });
    const sink = new MemorySink({ name: 'inv' });
    const p = proxy(
      [
        { name: 'down', watchSource: () => down },
        { name: 'up', watchSource: up.factory },
      ],
      [sink],
    );
    await p.start();
    up.add('configmaps', cm('new'));
    await p.flush();
    expect([...replay(sink).keys()].sort()).toEqual(['up-uid-new', 'up-uid-web']);
    // FakeSource reports no health; the one that does is tagged with its cluster.
    expect(p.watchHealth().map((h) => [h.cluster, h.resource, h.synced])).toEqual([['down', 'configmaps', false]]);
    // A resource counts as synced for the whole proxy once every cluster listed it.
    expect(p.stats().synced).toEqual([]);
    expect(p.stats().clusters?.['up']?.synced).toEqual(['configmaps']);
    await p.shutdown();
  });

  it('adds a cluster while running without relisting the others, and removes one without deleting its objects', async () => {
    const a = new FakeSource({ configmaps: [cm('web', 'a')] });
    const sink = new MemorySink({ name: 'inv' });
    const p = proxy([{ name: 'a', watchSource: a.factory }], [sink], { stateDir });
    const synced: string[] = [];
    p.on('synced', (info) => synced.push(`${info.cluster}:${info.resource}`));
    await p.start();
    const b = new FakeSource({ configmaps: [cm('web', 'b')] });
    await p.addCluster({ name: 'b', watchSource: b.factory });
    await p.flush();
    expect(synced).toEqual(['a:configmaps', 'b:configmaps']);
    expect(replay(sink)).toEqual(new Map([['a-uid-web', 'a'], ['b-uid-web', 'b']]));
    expect(p.clusters).toEqual(['a', 'b']);

    expect(await p.removeCluster('a')).toBe(true);
    expect(a.running).toBe(false);
    expect(b.running).toBe(true);
    expect(p.clusters).toEqual(['b']);
    b.update('configmaps', cm('web', 'b2'));
    await p.flush();
    // The removed cluster's objects stay at the receiver; the other keeps flowing.
    expect(replay(sink)).toEqual(new Map([['a-uid-web', 'a'], ['b-uid-web', 'b2']]));
    expect(p.stats().sinks['inv']?.delivered).toBe(2);
    expect(p.stats().clusters?.['a']).toBeUndefined();
    const report = await p.shutdown();
    // Totals keep what the removed cluster delivered.
    expect(report.delivered).toBe(3);
    expect(await p.removeCluster('nope').catch(() => false)).toBe(false);
  });

  it('removes a cluster with deleteObjects: its objects are deleted at every sink that holds them, the others untouched', async () => {
    const a = new FakeSource({ configmaps: [cm('web', 'a'), cm('db', 'a')] });
    const b = new FakeSource({ configmaps: [cm('web', 'b')] });
    const sink = new MemorySink({ name: 'inv' });
    const p = proxy(
      [
        { name: 'a', watchSource: a.factory },
        { name: 'b', watchSource: b.factory },
      ],
      [sink],
    );
    await p.start();
    await p.flush();
    await p.removeCluster('a', { deleteObjects: true });
    expect(replay(sink)).toEqual(new Map([['b-uid-web', 'b']]));
    expect(sink.changes.filter((c) => c.event === 'delete').map((c) => c.uniqueId).sort()).toEqual(['a-uid-db', 'a-uid-web']);
    await p.shutdown();
  });

  it('starts a cluster added before start() with the others', async () => {
    const sink = new MemorySink({ name: 'inv' });
    const p = proxy([{ name: 'a', watchSource: new FakeSource({ configmaps: [cm('x')] }).factory }], [sink]);
    await p.addCluster({ name: 'b', watchSource: new FakeSource({ configmaps: [cm('y')] }).factory });
    await p.start();
    await p.flush();
    expect([...replay(sink).keys()].sort()).toEqual(['a-uid-x', 'b-uid-y']);
    await p.shutdown();
  });
});

describe('WatchProxy without clusters', () => {
  it('sends batches without a cluster and keeps its state directly in stateDir, as it always did', async () => {
    const sink = new MemorySink({ name: 'inv' });
    const p = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: new FakeSource({ configmaps: [cm('web')] }).factory, clusterName: 'prod', stateDir });
    await p.start();
    await p.flush();
    await p.shutdown();
    expect(sink.batches.every((b) => !('cluster' in b))).toBe(true);
    expect(sink.changes[0]?.uniqueId).toBe('prod-uid-web');
    expect(p.stats().clusters).toBeUndefined();
    expect(p.watchHealth().every((h) => !('cluster' in h))).toBe(true);
    expect(await readdir(stateDir)).toContain('emit-cache.inv.ndjson');
  });
});
