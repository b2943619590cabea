import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, SinkStartError, type WatchProxyError } from '../src/errors.js';
import { delivered, retryable } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { Sink } from '../src/sink/sink.js';
import type { KubeObject } from '../src/types.js';
import type { WatchProxyOptions } from '../src/options.js';
import { WatchProxy } from '../src/watch-proxy.js';
import type { WatchHandlers } from '../src/watch/watch-event.js';
import type { WatchSource } from '../src/watch/watch-source.js';
import { MemorySharedCache } from './leader/ha-fixtures.js';

function cm(name: string, value: unknown = 1, namespace = 'default', uid = `uid-${name}`): KubeObject {
  return { metadata: { name, namespace, uid, resourceVersion: String(Math.random()) }, data: { value } };
}

/** The cluster as a receiver should see it: key → data.value. */
function expected(objects: readonly KubeObject[], resource = 'configmaps'): Map<string, unknown> {
  return new Map(
    objects.map((o) => {
      const m = o['metadata'] as { name: string; namespace: string };
      return [`${resource}|${m.namespace}/${m.name}`, (o['data'] as { value: unknown }).value];
    }),
  );
}

function seen(sink: MemorySink): Map<string, unknown> {
  return new Map([...sink.view()].map(([key, object]) => [key, (object['data'] as { value: unknown }).value]));
}

function proxy(overrides: Partial<WatchProxyOptions> & Pick<WatchProxyOptions, 'sinks'>, source = new FakeSource()): WatchProxy {
  return new WatchProxy({
    resources: [{ name: 'configmaps', pruneFields: ['metadata.resourceVersion'] }],
    watchSource: source.factory,
    emitIntervalMs: 1000,
    ...overrides,
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('WatchProxy options', () => {
  const sink = new MemorySink();
  const base: WatchProxyOptions = { resources: ['configmaps'], sinks: [sink], watchSource: new FakeSource().factory };

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no resources', { resources: [] }, /options\.resources must list at least one resource/],
    ['no sinks', { sinks: [] }, /options\.sinks must list at least one sink/],
    ['a non-sink', { sinks: [{} as never] }, /options\.sinks\[0\] must be a Sink/],
    ['duplicate sink names', { sinks: [sink, new MemorySink()] }, /sinks\[1\]\.name must be unique.*"memory"/],
    ['duplicate resources', { resources: ['pods', 'pods'] }, /resources\[1\]\.name is listed twice/],
    ['a negative interval', { emitIntervalMs: -1 }, /emitIntervalMs must be a non-negative number of milliseconds \(got -1\)/],
    ['a fractional batch size', { emitBatchMaxObjects: 1.5 }, /emitBatchMaxObjects must be a positive integer/],
    ['an unknown event', { resources: [{ name: 'pods', filterEvents: ['added' as never] }] }, /filterEvents\[0\] must be add, update or delete \(got "added"\)/],
    ['a bad prune path', { resources: [{ name: 'pods', pruneFields: ['a..b'] }] }, /pruneFields\[0\] "a\.\.b" has an empty segment/],
    ['no cluster access', { watchSource: undefined }, /kubeConfig is required unless watchSource is given/],
    ['a zero watchdog bound', { watchdogs: { idleTimeoutMs: 0 } }, /options\.watchdogs\.idleTimeoutMs must be a positive number of milliseconds \(got 0\)/],
    ['a non-numeric watchdog bound', { watchdogs: { connectTimeoutMs: '30s' } }, /options\.watchdogs\.connectTimeoutMs must be a positive number of milliseconds \(got "30s"\)/],
    ['watchdogs that are not an object', { watchdogs: 5 }, /options\.watchdogs must be an object of durations in ms \(got 5\)/],
  ])('rejects %s with a clear InvalidArgumentError', (_label, patch, message) => {
    const attempt = (): WatchProxy => new WatchProxy({ ...base, ...patch } as WatchProxyOptions);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });

  it('hands watch scoping (selectors, namespaces, resync) to the watch source, and accepts explicit undefined', async () => {
    const seen: unknown[] = [];
    const source = new FakeSource();
    const p = new WatchProxy({
      resources: [{ name: 'pods', labelSelector: 'app=web', namespaces: ['a'], resyncMs: 60_000, reconcileMs: 600_000, streamingList: true, assetId: undefined }, 'nodes'],
      sinks: [{ sink: new MemorySink(), namespaces: undefined }],
      stateDir: undefined,
      watchSource: (init) => {
        seen.push(...init.resources);
        return source.factory(init);
      },
    });
    await p.start();
    expect(seen).toEqual([
      { name: 'pods', resyncMs: 60_000, reconcileMs: 600_000, streamingList: true, labelSelector: 'app=web', namespaces: ['a'], includeManagedFields: false },
      { name: 'nodes', resyncMs: 0, reconcileMs: 0, streamingList: true, includeManagedFields: false },
    ]);
    await p.shutdown();
  });

  it('does no I/O and starts idle', () => {
    const p = new WatchProxy(base);
    expect(p.state).toBe('idle');
    expect(sink.started).toBe(0);
  });
});

describe('WatchProxy pipeline', () => {
  it('delivers the initial list and every later change; the sink view converges', async () => {
    vi.useFakeTimers({ now: 0 });
    const initial = [cm('a'), cm('b'), cm('c')];
    const source = new FakeSource({ configmaps: initial });
    const sink = new MemorySink();
    const p = proxy({ sinks: [sink], clusterName: 'dev' }, source);
    const synced: string[] = [];
    p.on('synced', (info) => synced.push(info.resource));
    await p.start();
    expect(p.state).toBe('running');
    expect(synced).toEqual(['configmaps']);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen(sink)).toEqual(expected(initial));
    expect(sink.changes[0]).toMatchObject({ event: 'add', uniqueId: 'dev-uid-a', object: { metadata: { uniqueId: 'dev-uid-a' } } });

    source.update('configmaps', cm('a', 2));
    source.remove('configmaps', cm('b'));
    source.add('configmaps', cm('d'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen(sink)).toEqual(expected([cm('a', 2), cm('c'), cm('d')]));
    expect(p.stats()).toMatchObject({ received: 6, changes: 6, sinks: { memory: { delivered: 6, queued: 0, cached: 3 } } });

    // a resync of unchanged objects sends nothing (resourceVersion is pruned)
    source.resync('configmaps');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.changes).toHaveLength(6);
    expect(p.stats().sinks['memory']?.dropped).toEqual({ unchanged: 3 });
    const report = await p.shutdown();
    expect(report).toMatchObject({ drained: true, delivered: 6, dropped: { unchanged: 3 }, errors: [] });
  });

  it('a delete the watcher synthesized (relist, re-created) carries the last state each endpoint was sent, not the skeleton', async () => {
    vi.useFakeTimers({ now: 0 });
    let handlers: WatchHandlers | undefined;
    const source: WatchSource = { start: async (h) => void (handlers = h), stop: async () => undefined };
    const configmaps = { name: 'configmaps', ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } };
    const only = new MemorySink({ name: 'only' });
    const q = new WatchProxy({ resources: ['configmaps'], watchSource: () => source, sinks: [only], emitIntervalMs: 1000 });
    await q.start();
    handlers!.onEvent(configmaps, { type: 'add', object: cm('a', 'last-a') });
    handlers!.onEvent(configmaps, { type: 'add', object: cm('b', 'last-b', 'default', 'uid-b1') });
    await vi.advanceTimersByTimeAsync(1000);
    const skeleton = (name: string, uid: string): KubeObject => ({ metadata: { name, namespace: 'default', uid, resourceVersion: '9' } });
    handlers!.onEvent(configmaps, { type: 'delete', object: skeleton('a', 'uid-a'), synthesized: 'relist' });
    handlers!.onEvent(configmaps, { type: 'delete', object: skeleton('b', 'uid-b1'), synthesized: 'recreated' });
    handlers!.onEvent(configmaps, { type: 'add', object: cm('b', 'new-b', 'default', 'uid-b2') });
    handlers!.onEvent(configmaps, { type: 'delete', object: skeleton('never', 'uid-never'), synthesized: 'relist' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(only.changes.slice(2).map((c) => `${c.event}:${c.name}:${String((c.object['data'] as { value: unknown }).value)}:${c.synthesized ?? ''}`)).toEqual([
      'delete:a:last-a:relist',
      'delete:b:last-b:recreated',
      'add:b:new-b:',
    ]);
    expect(only.view().has('configmaps|default/never')).toBe(false);
    await q.shutdown();
  });

  it('re-sends unchanged objects on resync only once emitCacheDurationMs has passed since delivery', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ configmaps: [cm('a'), cm('b')] });
    const sink = new MemorySink();
    const p = proxy({ sinks: [sink], emitCacheDurationMs: 60_000 }, source);
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.changes.map((c) => c.event)).toEqual(['add', 'add']);
    await vi.advanceTimersByTimeAsync(59_000);
    source.resync('configmaps');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.changes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000); // 61 s after delivery: the entries expired
    source.resync('configmaps');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a', 'add:b', 'update:a', 'update:b']);
    source.resync('configmaps'); // just re-delivered: fresh again
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.changes).toHaveLength(4);
    await p.shutdown();
  });

  it('routes by real namespace and resource per sink', async () => {
    const source = new FakeSource({
      configmaps: [cm('a', 1, 'team-a'), cm('b', 1, 'team-b')],
      namespaces: [{ metadata: { name: 'team-a', uid: 'ns-a' } }, { metadata: { name: 'team-b', uid: 'ns-b' } }],
    });
    const all = new MemorySink({ name: 'all' });
    const teamA = new MemorySink({ name: 'team-a' });
    const nsOnly = new MemorySink({ name: 'ns-only' });
    const p = new WatchProxy({
      resources: ['configmaps', 'namespaces'],
      sinks: [all, { sink: teamA, namespaces: ['team-a'] }, { sink: nsOnly, resourceTypes: ['namespaces'] }],
      watchSource: source.factory,
    });
    await p.start();
    await p.flush();
    expect([...all.view().keys()].sort()).toEqual(['configmaps|team-a/a', 'configmaps|team-b/b', 'namespaces|team-a', 'namespaces|team-b']);
    expect([...teamA.view().keys()].sort()).toEqual(['configmaps|team-a/a', 'namespaces|team-a']);
    expect([...nsOnly.view().keys()].sort()).toEqual(['namespaces|team-a', 'namespaces|team-b']);
    await p.shutdown();
  });

  it('counts pipeline drops with a reason and emits them', async () => {
    const source = new FakeSource({ configmaps: [cm('a', 1, 'kube-system'), cm('b')] });
    const sink = new MemorySink();
    const p = proxy({ sinks: [sink], ignoreNamespaces: ['kube-system'] }, source);
    const dropped: string[] = [];
    p.on('dropped', (info) => dropped.push(`${info.reason}:${info.keys.join(',')}`));
    await p.start();
    await p.flush();
    expect(dropped).toEqual(['ignored-namespace:configmaps|kube-system/a']);
    expect(p.stats().dropped).toEqual({ 'ignored-namespace': 1 });
    expect([...sink.view().keys()]).toEqual(['configmaps|default/b']);
    await p.shutdown();
  });

  it('a shutdown grace period of 30 days drains (a Node timer that long would fire at once and drain nothing)', async () => {
    vi.useFakeTimers({ now: 0 });
    const day = 24 * 3600 * 1000;
    const source = new FakeSource({ configmaps: [cm('a')] });
    let down = true;
    const sink = new MemorySink({ behaviour: () => (down ? retryable(new Error('503')) : delivered()) });
    const p = proxy({ sinks: [sink], shutdownTimeoutMs: 30 * day, retry: { initialMs: 1000, maxMs: 5000 }, onError: () => {} }, source);
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    let report: Awaited<ReturnType<WatchProxy['shutdown']>> | undefined;
    void p.shutdown().then((r) => (report = r));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(report).toBeUndefined(); // still draining, as asked
    down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(report).toMatchObject({ drained: true, delivered: 1 });
    expect(seen(sink).get('configmaps|default/a')).toBe(1);
  });

  it('keeps a healthy sink on time while another is down, and the other catches up later', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ configmaps: [cm('a')] });
    const healthy = new MemorySink({ name: 'healthy' });
    let down = true;
    const flaky = new MemorySink({ name: 'flaky', behaviour: () => (down ? retryable(new Error('503')) : delivered()) });
    const errors: WatchProxyError[] = [];
    const p = proxy({ sinks: [healthy, flaky], onError: (e) => errors.push(e), retry: { initialMs: 1000, maxMs: 5000 } }, source);
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    // one minute of churn while flaky is down: healthy gets each change within one interval
    for (let i = 1; i <= 60; i++) {
      source.update('configmaps', cm('a', i));
      source.add('configmaps', cm(`n${i}`));
      await vi.advanceTimersByTimeAsync(1000);
      expect(seen(healthy).get('configmaps|default/a')).toBe(i);
      expect(seen(healthy).get(`configmaps|default/n${i}`)).toBe(1);
    }
    expect(flaky.batches).toHaveLength(0);
    expect(errors.length).toBeGreaterThan(10);
    expect(errors.every((e) => e.code === 'WP_ERR_SINK_SEND')).toBe(true);
    // bounded: at most one in-flight batch plus one pending change per object
    const stats = p.stats().sinks['flaky'];
    expect((stats?.queued ?? 0) + (stats?.inFlight ?? 0)).toBeLessThanOrEqual(61 + 10);
    down = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen(flaky)).toEqual(seen(healthy));
    expect(seen(flaky).size).toBe(61);
    await p.shutdown();
  });

  it('converges with a sink failing half of its sends at random', async () => {
    vi.useFakeTimers({ now: 0 });
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const source = new FakeSource();
    const sink = new MemorySink({ behaviour: () => (random() < 0.5 ? retryable(new Error('coin')) : delivered()) });
    const p = proxy({ sinks: [sink], emitIntervalMs: 100, emitBatchMaxObjects: 50, clock: { now: Date.now, random } }, source);
    await p.start();
    const live = new Map<string, KubeObject>();
    for (let i = 0; i < 2000; i++) {
      const name = `o${Math.floor(random() * 200)}`;
      const roll = random();
      if (live.has(name) && roll < 0.2) {
        source.remove('configmaps', live.get(name) as KubeObject);
        live.delete(name);
      } else {
        const object = cm(name, i);
        if (live.has(name)) source.update('configmaps', object);
        else source.add('configmaps', object);
        live.set(name, object);
      }
      if (i % 50 === 0) await vi.advanceTimersByTimeAsync(100);
    }
    const flushed = p.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    await flushed;
    expect(seen(sink)).toEqual(expected([...live.values()]));
    expect(sink.attempts).toBeGreaterThan(sink.batches.length);
    await p.shutdown();
  });
});

describe('WatchProxy flush', () => {
  it('a flush that timed out stops skipping emitIntervalMs: at most one batch per interval again', async () => {
    vi.useFakeTimers({ now: 0 });
    const calls: number[] = [];
    let release: (() => void) | undefined;
    const sink: Sink = {
      name: 'slow',
      async send() {
        calls.push(Date.now());
        if (calls.length === 2) await new Promise<void>((resolve) => (release = resolve));
        return delivered();
      },
    };
    const source = new FakeSource();
    const p = proxy({ sinks: [sink], attemptTimeoutMs: 60_000 }, source);
    await p.start();
    source.add('configmaps', cm('a')); // an idle lane sends at once
    await vi.advanceTimersByTimeAsync(10);
    source.add('configmaps', cm('b')); // would wait for the interval; the flush sends it now, and it hangs
    const flushed = p.flush({ timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(await flushed).toBe(false);
    source.add('configmaps', cm('c'));
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([0, 10]); // c waits for the interval (last batch at 10), as without the flush
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([0, 10, 1010]);
    await p.shutdown();
  });
});

describe('WatchProxy lifecycle', () => {
  it('starts sinks before watching, closes them once in reverse order, and shutdown is idempotent', async () => {
    const order: string[] = [];
    const make = (name: string): MemorySink => {
      const sink = new MemorySink({ name });
      sink.start = async () => void order.push(`start:${name}`);
      sink.close = async () => void order.push(`close:${name}`);
      return sink;
    };
    const source = new FakeSource({ configmaps: [cm('a')] });
    const factory = source.factory;
    const p = proxy({ sinks: [make('one'), make('two')], watchSource: (init) => (order.push('watch'), factory(init)) }, source);
    await p.start();
    const first = p.shutdown();
    expect(p.shutdown()).toBe(first);
    const report = await first;
    expect(report.drained).toBe(true);
    expect(order).toEqual(['start:one', 'start:two', 'watch', 'close:two', 'close:one']);
    expect(p.state).toBe('stopped');
    await expect(p.start()).rejects.toMatchObject({ code: 'WP_ERR_CLOSED' });
    await expect(p.flush()).rejects.toMatchObject({ code: 'WP_ERR_CLOSED' });
  });

  it('rejects start with SinkStartError when a sink fails its health check, and cleans up', async () => {
    const bad = new MemorySink({ name: 'bad' });
    bad.start = async () => {
      throw new Error('ECONNREFUSED');
    };
    const good = new MemorySink({ name: 'good' });
    const source = new FakeSource({ configmaps: [cm('a')] });
    const p = proxy({ sinks: [good, bad] }, source);
    const error = await p.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkStartError);
    expect(error).toMatchObject({ sink: 'bad', cause: { message: 'ECONNREFUSED' } });
    expect(source.running).toBe(false);
    expect(good.closed).toBe(1);
    expect(p.state).toBe('failed');
    await p.shutdown();
    expect(good.closed).toBe(1);
  });

  it('reports at shutdown what could not be delivered in time, and destroy aborts at once', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ configmaps: [cm('a'), cm('b')] });
    let aborted = 0;
    const hanging = new MemorySink({
      behaviour: (_b, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted++;
            reject(new Error('aborted'));
          }),
        ),
    });
    const p = proxy({ sinks: [hanging], emitBatchMaxObjects: 1, attemptTimeoutMs: 60_000 }, source);
    await p.start();
    const done = p.shutdown({ timeoutMs: 2000 });
    await vi.advanceTimersByTimeAsync(2000);
    const report = await done;
    expect(report).toMatchObject({ drained: false, delivered: 0, dropped: { shutdown: 2 } });
    expect(aborted).toBe(1);

    const q = proxy({ sinks: [new MemorySink({ name: 'x', behaviour: hanging.behaviour })] }, new FakeSource({ configmaps: [cm('a')] }));
    await q.start();
    q.destroy();
    await vi.advanceTimersByTimeAsync(0);
    expect((await q.shutdown()).dropped).toEqual({ shutdown: 1 });
  });

  it('shuts down cleanly while start() is still waiting for the first list (apiserver unreachable)', async () => {
    let stop: (() => void) | undefined;
    const sink = new MemorySink();
    const p = new WatchProxy({
      resources: ['configmaps'],
      sinks: [sink],
      watchSource: () => ({
        start: () => new Promise<void>((resolve) => (stop = resolve)),
        stop: async () => stop?.(),
      }),
    });
    const starting = p.start();
    await vi.waitFor(() => expect(stop).toBeDefined()); // the source is started and hangs
    const report = await p.shutdown();
    await expect(starting).rejects.toMatchObject({ code: 'WP_ERR_CLOSED' });
    expect(report.drained).toBe(true);
    expect(sink.closed).toBe(1);
    expect(p.state).toBe('stopped');
  });

  it('never lets a throwing listener or onError break the pipeline', async () => {
    const source = new FakeSource({ configmaps: [cm('a')] });
    const sink = new MemorySink();
    const reported: string[] = [];
    const p = proxy({ sinks: [sink], onError: (e) => reported.push(e.message) }, source);
    p.on('change', () => {
      throw new Error('listener bug');
    });
    await p.start();
    source.add('configmaps', cm('b'));
    await p.flush();
    expect(sink.view().size).toBe(2);
    expect(reported).toEqual(['a "change" listener threw', 'a "change" listener threw']);
    await p.shutdown();
  });
});

describe('WatchProxy batch ids', () => {
  // A receiver deduplicates on the batch id (Idempotency-Key): the same changes sent again by another process
  // (a restart without state, a reload, a new leader) must carry the same id, and other changes another id.
  it('are derived from the content: the same batch gets the same id from two instances, another batch another id', async () => {
    const objects = [cm('a'), cm('b'), cm('c')];
    const ids: string[] = [];
    for (let run = 0; run < 2; run++) {
      const sink = new MemorySink({ name: 'inv' });
      const p = proxy({ sinks: [sink] }, new FakeSource({ configmaps: objects }));
      await p.start();
      await p.flush();
      expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a', 'add:b', 'add:c']);
      ids.push(...sink.batches.map((b) => b.id));
      await p.shutdown();
    }
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);

    const sink = new MemorySink({ name: 'inv' });
    const p = proxy({ sinks: [sink] }, new FakeSource({ configmaps: [cm('a'), cm('b', 2), cm('c')] }));
    await p.start();
    await p.flush();
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]?.id).not.toBe(ids[0]);
    await p.shutdown();
  });
});

describe('WatchProxy with stateDir', () => {
  it('sends a delete for a state-store ConfigMap a receiver got before those were filtered (upgrade), then nothing', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-state-'));
    try {
      const shard = cm('watch-proxy-emit-cache-0', 'shard', 'ops');
      const before = new MemorySink({ name: 'inventory' });
      // As an older version saw it: a ConfigMap like any other (here without the label, which it did not filter).
      const p1 = proxy({ sinks: [before], stateDir }, new FakeSource({ configmaps: [shard, cm('a')] }));
      await p1.start();
      await p1.flush();
      expect(before.changes.map((c) => c.name).sort()).toEqual(['a', 'watch-proxy-emit-cache-0']);
      await p1.shutdown();

      const labelled = { ...shard, metadata: { ...(shard['metadata'] as object), labels: { 'watch-proxy.io/emit-cache': 'true' } } };
      const after = new MemorySink({ name: 'inventory' });
      const source = new FakeSource({ configmaps: [labelled, cm('a')] });
      const store = new MemorySharedCache(['ops/watch-proxy-emit-cache-0']);
      const p2 = proxy({ sinks: [after], stateDir, sharedCache: store }, source);
      await p2.start();
      await p2.flush();
      expect(after.changes.map((c) => `${c.event}:${c.name}:${c.synthesized ?? ''}`)).toEqual(['delete:watch-proxy-emit-cache-0:restart']);
      source.update('configmaps', { ...labelled, data: { value: 'saved again' } });
      await p2.flush();
      expect(after.changes).toHaveLength(1);
      expect(p2.stats().dropped['own-state']).toBe(2); // its add at the start and this update
      await p2.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('after a restart sends exactly the deletes (with last state) and updates missed while stopped', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-state-'));
    try {
      const objects = Array.from({ length: 8 }, (_v, i) => cm(`o${i}`, `v${i}`));
      const first = new MemorySink({ name: 'inventory' });
      const p1 = proxy({ sinks: [first], stateDir }, new FakeSource({ configmaps: objects }));
      await p1.start();
      await p1.flush();
      expect(first.changes).toHaveLength(8);
      await p1.shutdown();

      // while stopped: delete 3, change 2, leave 3; a new process with a new sink instance of the same name
      const now = [objects[2], objects[3], objects[4], cm('o5', 'changed'), cm('o6', 'changed')] as KubeObject[];
      const second = new MemorySink({ name: 'inventory' });
      const p2 = proxy({ sinks: [second], stateDir }, new FakeSource({ configmaps: now }));
      const synced: number[] = [];
      p2.on('synced', (info) => synced.push(info.deletes));
      await p2.start();
      await p2.flush();
      const sent = second.changes.map((c) => `${c.event}:${c.name}:${String((c.object['data'] as { value: unknown }).value)}`);
      expect(sent.sort()).toEqual(['delete:o0:v0', 'delete:o1:v1', 'delete:o7:v7', 'update:o5:changed', 'update:o6:changed']);
      expect(second.changes.filter((c) => c.event === 'delete').every((c) => c.synthesized === 'restart')).toBe(true);
      expect(synced).toEqual([3]);
      await p2.shutdown();

      // and a third start with nothing changed sends nothing at all
      const third = new MemorySink({ name: 'inventory' });
      const p3 = proxy({ sinks: [third], stateDir }, new FakeSource({ configmaps: now }));
      await p3.start();
      await p3.flush();
      expect(third.changes).toEqual([]);
      await p3.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('changes still pending for a down sink at shutdown are sent after a restart, deletes included', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-state-'));
    try {
      const objects = [cm('a'), cm('b'), cm('c')];
      const source1 = new FakeSource({ configmaps: objects });
      let down = false;
      const sink1 = new MemorySink({ name: 'inv', behaviour: () => (down ? retryable(new Error('503')) : delivered()) });
      const p1 = proxy({ sinks: [sink1], stateDir, retry: { initialMs: 60_000 } }, source1);
      await p1.start();
      await p1.flush();
      expect(sink1.view().size).toBe(3);
      down = true;
      source1.update('configmaps', cm('a', 2));
      source1.remove('configmaps', cm('b'));
      const report = await p1.shutdown({ timeoutMs: 0 });
      expect(report.drained).toBe(false);
      expect(report.dropped.shutdown).toBe(2);

      const sink2 = new MemorySink({ name: 'inv' });
      const p2 = proxy({ sinks: [sink2], stateDir }, new FakeSource({ configmaps: [cm('a', 2), cm('c')] }));
      await p2.start();
      await p2.flush();
      expect(sink2.changes.map((c) => `${c.event}:${c.name}`).sort()).toEqual(['delete:b', 'update:a']);
      await p2.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
