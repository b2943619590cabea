// Every config key means what it says on every path: watch events, relists, restarts (and so reloads, which are
// a restart on the same state folder), and a leader takeover. The lane makes changes up (missed deletes, the
// delete of a re-created name) and rewrites others (a re-seen add is an update to a receiver that has it); each
// of those is decided on the event the endpoint would receive.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchProxyOptions } from '../src/options.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { Change, KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';
import { ManualGate, MemorySharedCache } from './leader/ha-fixtures.js';

function cm(name: string, value: unknown = 1, namespace = 'default', uid = `uid-${name}`): KubeObject {
  return { metadata: { name, namespace, uid, labels: { app: 'x' } }, data: { value } };
}

function svc(name: string, namespace = 'default'): KubeObject {
  return { metadata: { name, namespace, uid: `uid-svc-${name}` }, spec: { port: 80 } };
}

/** `event:name:synthesized` of each change a sink got, sorted. */
function sent(sink: MemorySink): string[] {
  return sink.changes.map((c: Change) => `${c.event}:${c.name}${c.synthesized === undefined ? '' : `:${c.synthesized}`}`).sort();
}

type Config = Omit<WatchProxyOptions, 'sinks' | 'watchSource'> & { readonly route?: { readonly namespaces?: string[]; readonly resourceTypes?: string[] } };

let stateDir = '';
let clock = 1_000_000;
const open: WatchProxy[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'wp-keys-'));
  clock = 1_000_000;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.shutdown({ timeoutMs: 0 })));
  await rm(stateDir, { recursive: true, force: true });
});

/** Runs one process life: starts on `stateDir` with `config`, lists `source`, flushes; the caller shuts it down. */
async function run(config: Config, source: FakeSource): Promise<{ proxy: WatchProxy; sink: MemorySink }> {
  const sink = new MemorySink({ name: 'inventory' });
  const { route, ...options } = config;
  const proxy = new WatchProxy({
    emitIntervalMs: 0,
    stateDir,
    clock: { now: () => clock },
    ...options,
    sinks: [{ sink, ...route }],
    watchSource: source.factory,
  });
  open.push(proxy);
  await proxy.start();
  await proxy.flush();
  return { proxy, sink };
}

/** A first life with `before` delivered everything in `initial`; a second with `after` over `now`. */
async function restart(before: Config, initial: Record<string, KubeObject[]>, after: Config, now: Record<string, KubeObject[]>): Promise<{ proxy: WatchProxy; sink: MemorySink }> {
  const first = await run(before, new FakeSource(initial));
  await first.proxy.shutdown();
  return run(after, new FakeSource(now));
}

const sinkDrops = (proxy: WatchProxy): Partial<Record<string, number>> => proxy.stats().sinks['inventory']?.dropped ?? {};

describe('filterEvents on every path', () => {
  it('[delete]: a restart that finds an object gone sends no delete, and forgets it (a later start neither)', async () => {
    const config: Config = { resources: [{ name: 'configmaps', filterEvents: ['delete'] }] };
    const second = await restart(config, { configmaps: [cm('a'), cm('b')] }, config, { configmaps: [cm('b')] });
    expect(sent(second.sink)).toEqual([]);
    expect(sinkDrops(second.proxy)['filtered-event']).toBe(1);
    await second.proxy.shutdown();
    const third = await run(config, new FakeSource({ configmaps: [cm('b')] }));
    expect(sent(third.sink)).toEqual([]);
    expect(sinkDrops(third.proxy)['filtered-event']).toBeUndefined();
  });

  it('[delete]: a relist that finds an object gone sends no delete', async () => {
    const source = new FakeSource({ configmaps: [cm('a'), cm('b')] });
    const { proxy, sink } = await run({ resources: [{ name: 'configmaps', filterEvents: ['delete'] }] }, source);
    source.silently('configmaps', { remove: cm('a') });
    source.relist('configmaps');
    await proxy.flush();
    expect(sent(sink)).toEqual(['add:a', 'add:b']);
  });

  it('[delete]: a name re-created with a new uid gets its add but not the delete of the old incarnation', async () => {
    const source = new FakeSource({ configmaps: [cm('a')] });
    const { proxy, sink } = await run({ resources: [{ name: 'configmaps', filterEvents: ['delete'] }] }, source);
    source.update('configmaps', cm('a', 2, 'default', 'uid-new'));
    await proxy.flush();
    expect(sent(sink)).toEqual(['add:a', 'update:a']);
    // ...and after a restart that finds it re-created
    await proxy.shutdown();
    const again = await run({ resources: [{ name: 'configmaps', filterEvents: ['delete'] }] }, new FakeSource({ configmaps: [cm('a', 3, 'default', 'uid-newer')] }));
    expect(sent(again.sink)).toEqual(['add:a']);
  });

  it('[delete]: a watched delete also forgets the object, so a relist does not count it a second time', async () => {
    const source = new FakeSource({ configmaps: [cm('a'), cm('b')] });
    const { proxy, sink } = await run({ resources: [{ name: 'configmaps', filterEvents: ['delete'] }] }, source);
    source.remove('configmaps', cm('a'));
    source.relist('configmaps');
    await proxy.flush();
    expect(sent(sink)).toEqual(['add:a', 'add:b']);
    expect(proxy.stats().dropped['filtered-event']).toBe(1);
    expect(sinkDrops(proxy)['filtered-event']).toBeUndefined();
    expect(proxy.stats().sinks['inventory']?.cached).toBe(1);
  });

  it('[update]: an object changed while stopped is an update to the receiver, so it is not sent after a restart', async () => {
    const config: Config = { resources: [{ name: 'configmaps', filterEvents: ['update'] }] };
    const second = await restart(config, { configmaps: [cm('a'), cm('b')] }, config, { configmaps: [cm('a', 2), cm('b'), cm('c')] });
    expect(sent(second.sink)).toEqual(['add:c']);
    expect(sinkDrops(second.proxy)['filtered-event']).toBe(1);
  });

  it('[update]: a relist that finds an object changed sends no update', async () => {
    const source = new FakeSource({ configmaps: [cm('a')] });
    const { proxy, sink } = await run({ resources: [{ name: 'configmaps', filterEvents: ['update'] }] }, source);
    source.silently('configmaps', { set: cm('a', 2) });
    source.relist('configmaps');
    await proxy.flush();
    expect(sent(sink)).toEqual(['add:a']);
  });

  it('[add]: after a restart, an object the receiver has and that changed is sent as the update it is; a new one is not', async () => {
    const first = await run({ resources: ['configmaps'] }, new FakeSource({ configmaps: [cm('a')] }));
    await first.proxy.shutdown();
    const second = await run({ resources: [{ name: 'configmaps', filterEvents: ['add'] }] }, new FakeSource({ configmaps: [cm('a', 2), cm('n')] }));
    expect(sent(second.sink)).toEqual(['update:a']);
    expect(sinkDrops(second.proxy)['filtered-event']).toBe(1);
  });

  it('[add, update]: a missed delete is still sent', async () => {
    const config: Config = { resources: [{ name: 'configmaps', filterEvents: ['add', 'update'] }] };
    const first = await run({ resources: ['configmaps'] }, new FakeSource({ configmaps: [cm('a'), cm('b')] }));
    await first.proxy.shutdown();
    const second = await run(config, new FakeSource({ configmaps: [cm('b', 2)] }));
    expect(sent(second.sink)).toEqual(['delete:a:restart']);
  });

  it('[delete] on a leader takeover: objects gone from the shared cache are not sent as deletes', async () => {
    const store = new MemorySharedCache();
    const gate = new ManualGate();
    gate.set(true);
    const config: Config = { resources: [{ name: 'configmaps', filterEvents: ['delete'] }], stateDir: undefined, sharedCache: store, sharedCacheIntervalMs: 10, gate };
    const leader = await run(config, new FakeSource({ configmaps: [cm('a'), cm('b')] }));
    await store.waitFor(() => store.sinks.get('inventory')?.size === 2);
    await leader.proxy.shutdown();

    const standbyGate = new ManualGate();
    const next = await run({ ...config, gate: standbyGate }, new FakeSource({ configmaps: [cm('b')] }));
    standbyGate.set(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (!next.proxy.active) await new Promise<void>((resolve) => setImmediate(resolve));
    await next.proxy.flush();
    expect(sent(next.sink)).toEqual([]);
    expect(sinkDrops(next.proxy)['filtered-event']).toBe(1);
  });
});

describe('delayAddEventDuration on every path', () => {
  it('a restart within the delay still sends the update of an object the receiver has; only adds wait', async () => {
    const first = await run({ resources: ['configmaps'] }, new FakeSource({ configmaps: [cm('a'), cm('b')] }));
    await first.proxy.shutdown();
    const second = await run({ resources: ['configmaps'], delayAddEventMs: 60_000 }, new FakeSource({ configmaps: [cm('a', 2), cm('b'), cm('n')] }));
    expect(sent(second.sink)).toEqual(['update:a']);
    expect(sinkDrops(second.proxy)['add-delayed']).toBe(1);
  });
});

describe('delayAddEventDuration across a reload', () => {
  it('a pipeline replacing another counts the delay from the first watch start (watchedSince), so new adds are sent', async () => {
    const options: Config = { resources: ['configmaps'], delayAddEventMs: 60_000 };
    const first = await run(options, new FakeSource({ configmaps: [cm('a')] }));
    expect(sent(first.sink)).toEqual([]);
    await first.proxy.shutdown();
    clock += 61_000;
    // The reload: a new pipeline, the same resource watched since the first start.
    const source = new FakeSource({ configmaps: [cm('a')] });
    const second = await run({ ...options, watchedSince: new Map([['configmaps', 1_000_000]]) }, source);
    source.add('configmaps', cm('new'));
    await second.proxy.flush();
    expect(sent(second.sink)).toEqual(['add:a', 'add:new']);
  });

  it('a resource new to the host still gets the whole delay', async () => {
    const source = new FakeSource({ configmaps: [cm('a')] });
    const { proxy, sink } = await run({ resources: ['configmaps'], delayAddEventMs: 60_000, watchedSince: new Map([['services', 0]]) }, source);
    source.add('configmaps', cm('new'));
    await proxy.flush();
    expect(sent(sink)).toEqual([]);
    expect(() => new WatchProxy({ resources: ['configmaps'], sinks: [new MemorySink()], watchSource: source.factory, watchedSince: new Map([['configmaps', Number.NaN]]) })).toThrow(
      /watchedSince\["configmaps"\] must be a finite number of epoch ms/,
    );
  });
});

describe('ignoreNamespaces on every path', () => {
  it('after a reload that ignores a namespace, its objects found gone are not sent as deletes', async () => {
    const second = await restart(
      { resources: ['configmaps'] },
      { configmaps: [cm('a', 1, 'kept'), cm('b', 1, 'hidden'), cm('c', 1, 'hidden')] },
      { resources: ['configmaps'], ignoreNamespaces: ['hidden'] },
      { configmaps: [cm('a', 1, 'kept'), cm('c', 2, 'hidden')] },
    );
    expect(sent(second.sink)).toEqual([]);
    expect(sinkDrops(second.proxy)['ignored-namespace']).toBe(1);
  });
});

describe('endpoint routing on every path', () => {
  it('namespaces: after a reload that narrows the route, objects outside it found gone are not sent as deletes', async () => {
    const second = await restart(
      { resources: ['configmaps'] },
      { configmaps: [cm('a', 1, 'kept'), cm('b', 1, 'other')] },
      { resources: ['configmaps'], route: { namespaces: ['kept'] } },
      { configmaps: [cm('a', 1, 'kept')] },
    );
    expect(sent(second.sink)).toEqual([]);
  });

  it('resourceTypes: after a reload that narrows the route, objects of other resources found gone are not sent as deletes', async () => {
    const second = await restart(
      { resources: ['configmaps', 'services'] },
      { configmaps: [cm('a')], services: [svc('s'), svc('t')] },
      { resources: ['configmaps', 'services'], route: { resourceTypes: ['configmaps'] } },
      { configmaps: [], services: [svc('t')] },
    );
    expect(sent(second.sink)).toEqual(['delete:a:restart']);
  });
});

describe('pruneFields on every path', () => {
  it('a delete found at restart is sent pruned by the current pruneFields', async () => {
    const second = await restart(
      { resources: ['configmaps'] },
      { configmaps: [cm('a')] },
      { resources: [{ name: 'configmaps', pruneFields: ['metadata.labels'] }] },
      { configmaps: [] },
    );
    expect(sent(second.sink)).toEqual(['delete:a:restart']);
    const metadata = second.sink.changes[0]?.object['metadata'] as Record<string, unknown>;
    expect(metadata['labels']).toBeUndefined();
    expect(metadata['uniqueId']).toBe('-uid-a');
    expect(second.sink.changes[0]?.object['data']).toEqual({ value: 1 });
  });
});
