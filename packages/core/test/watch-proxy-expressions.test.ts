import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { WatchProxyOptions } from '../src/options.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';

function svc(name: string, type: string, extra: Record<string, unknown> = {}, uid = `uid-${name}`): KubeObject {
  return { metadata: { name, namespace: 'default', uid, resourceVersion: String(Math.random()), ...extra }, spec: { type } };
}

function pod(name: string, phase: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, labels }, status: { phase } };
}

const LB = 'object.spec.type == "LoadBalancer"';

function events(sink: MemorySink): string[] {
  return sink.changes.map((c) => `${c.event}:${c.name}`);
}

function typeOf(object: KubeObject | undefined): unknown {
  return (object?.['spec'] as { type?: unknown } | undefined)?.type;
}

function proxy(source: FakeSource, overrides: Partial<WatchProxyOptions> & Pick<WatchProxyOptions, 'sinks'>): WatchProxy {
  return new WatchProxy({
    resources: [{ name: 'services', pruneFields: ['metadata.resourceVersion'] }],
    watchSource: source.factory,
    ...overrides,
  });
}

const dirs: string[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('filter: the set of objects an endpoint holds', () => {
  it('sends what matches, an object that starts matching as add, one that stops as delete with the last delivered state', async () => {
    const source = new FakeSource({ services: [svc('a', 'ClusterIP'), svc('b', 'LoadBalancer')] });
    const sink = new MemorySink();
    const p = proxy(source, { resources: [{ name: 'services', filter: LB }], sinks: [sink] });
    await p.start();
    await p.flush();
    expect([...sink.view().keys()]).toEqual(['services|default/b']);

    source.update('services', svc('a', 'LoadBalancer'));
    await p.flush();
    expect(events(sink)).toEqual(['add:b', 'add:a']);

    source.update('services', svc('b', 'ClusterIP'));
    await p.flush();
    expect(events(sink)).toEqual(['add:b', 'add:a', 'delete:b']);
    // The delete carries what the receiver last got, not the state that no longer matches.
    expect(typeOf(sink.changes.at(-1)?.object)).toBe('LoadBalancer');
    expect([...sink.view().keys()]).toEqual(['services|default/a']);

    // Deleting an object the endpoint never had sends nothing; one it has is deleted.
    source.remove('services', svc('b', 'ClusterIP'));
    source.remove('services', svc('a', 'LoadBalancer'));
    await p.flush();
    expect(events(sink)).toEqual(['add:b', 'add:a', 'delete:b', 'delete:a']);
    expect(p.stats().sinks['memory']?.dropped).toMatchObject({ filtered: 2 });
    await p.shutdown();
  });

  it('an endpoint filter sees the resource name; each endpoint holds its own set', async () => {
    const source = new FakeSource({ services: [svc('a', 'LoadBalancer'), svc('b', 'ClusterIP')], pods: [pod('p', 'Running')] });
    const lbs = new MemorySink({ name: 'lbs' });
    const pods = new MemorySink({ name: 'pods' });
    const p = new WatchProxy({
      resources: ['services', 'pods'],
      sinks: [
        { sink: lbs, filter: `resource == "services" && ${LB}` },
        { sink: pods, filter: 'resource == "pods"' },
      ],
      watchSource: source.factory,
    });
    await p.start();
    await p.flush();
    expect([...lbs.view().keys()]).toEqual(['services|default/a']);
    expect([...pods.view().keys()]).toEqual(['pods|default/p']);
    await p.shutdown();
  });

  it('a relist finds an object that left the set while disconnected and deletes it', async () => {
    const source = new FakeSource({ services: [svc('a', 'LoadBalancer'), svc('b', 'LoadBalancer')] });
    const sink = new MemorySink();
    const p = proxy(source, { sinks: [{ sink, filter: LB }] });
    await p.start();
    await p.flush();
    source.silently('services', { set: svc('a', 'ClusterIP') });
    source.silently('services', { set: svc('c', 'LoadBalancer') });
    source.relist('services');
    await p.flush();
    expect([...sink.view().keys()].sort()).toEqual(['services|default/b', 'services|default/c']);
    expect(events(sink)).toEqual(['add:a', 'add:b', 'delete:a', 'add:c']);
    await p.shutdown();
  });

  it('after a restart with changes made while down, the receiver holds exactly the matching set', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-cel-'));
    dirs.push(stateDir);
    const sink = new MemorySink();
    const first = new FakeSource({ services: [svc('a', 'ClusterIP'), svc('b', 'LoadBalancer'), svc('c', 'LoadBalancer')] });
    const options = { resources: [{ name: 'services', filter: LB }], sinks: [sink], stateDir };
    const p1 = new WatchProxy({ ...options, watchSource: first.factory });
    await p1.start();
    await p1.flush();
    await p1.shutdown();
    expect([...sink.view().keys()].sort()).toEqual(['services|default/b', 'services|default/c']);

    // While down: a starts matching, b stops, c is deleted.
    const second = new FakeSource({ services: [svc('a', 'LoadBalancer'), svc('b', 'ClusterIP')] });
    const p2 = new WatchProxy({ ...options, watchSource: second.factory });
    await p2.start();
    await p2.flush();
    expect([...sink.view().keys()].sort()).toEqual(['services|default/a']);
    expect(events(sink).slice(2).sort()).toEqual(['add:a', 'delete:b', 'delete:c']);
    await p2.shutdown();

    // A filter added to the configuration between runs: what no longer matches is deleted too.
    const third = new FakeSource({ services: [svc('a', 'LoadBalancer', { labels: { team: 'x' } }), svc('d', 'LoadBalancer')] });
    const p3 = new WatchProxy({ ...options, resources: [{ name: 'services', filter: `${LB} && has(object.metadata.labels)` }], watchSource: third.factory });
    await p3.start();
    await p3.flush();
    expect([...sink.view().keys()]).toEqual(['services|default/a']);
    await p3.shutdown();
  });

  it('an evaluation error counts the object as not matching (filter-error) and the pipeline goes on', async () => {
    const lines: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const record = (obj: object, msg?: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
    const logger: Logger = { debug: () => {}, info: () => {}, warn: record, error: record, child: () => logger };
    const source = new FakeSource({ services: [svc('a', 'LoadBalancer'), { metadata: { name: 'b', namespace: 'default', uid: 'uid-b' } }] });
    const sink = new MemorySink();
    const p = proxy(source, { sinks: [{ sink, filter: LB }], logger });
    await p.start();
    await p.flush();
    expect([...sink.view().keys()]).toEqual(['services|default/a']);
    expect(p.stats().sinks['memory']?.dropped).toEqual({ 'filter-error': 1 });
    expect(p.stats().rules).toEqual({ 'sink/memory/filter': { matched: 1, dropped: 0, errors: 1 } });
    const failure = lines.find((l) => l.obj['rule'] === 'sink/memory/filter');
    expect(failure?.obj).toMatchObject({ key: 'services|default/b', code: 'no_such_key' });
    await p.shutdown();
  });
});

describe('updateFilter: is an update worth sending', () => {
  it('compares with the state last delivered to the endpoint; adds and deletes are not subject to it', async () => {
    const source = new FakeSource({ pods: [pod('p', 'Pending')] });
    const sink = new MemorySink();
    const p = new WatchProxy({
      resources: ['pods'],
      sinks: [{ sink, updateFilter: 'object.status.phase != oldObject.status.phase' }],
      watchSource: source.factory,
    });
    await p.start();
    await p.flush();
    source.update('pods', pod('p', 'Pending', { a: '1' }));
    await p.flush();
    source.update('pods', pod('p', 'Pending', { a: '2' }));
    await p.flush();
    expect(events(sink)).toEqual(['add:p']);
    source.update('pods', pod('p', 'Running', { a: '3' }));
    await p.flush();
    expect(events(sink)).toEqual(['add:p', 'update:p']);
    // Against the last delivered state (Running): a label change alone is still not worth it.
    source.update('pods', pod('p', 'Running', { a: '4' }));
    source.remove('pods', pod('p', 'Running', { a: '4' }));
    await p.flush();
    expect(events(sink)).toEqual(['add:p', 'update:p', 'delete:p']);
    expect(p.stats().sinks['memory']?.dropped).toMatchObject({ filtered: 3 });
    await p.shutdown();
  });

  it('compares with a state still queued for the endpoint, so a change that returns is not lost', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ pods: [pod('p', 'Running')] });
    const sink = new MemorySink();
    const p = new WatchProxy({
      resources: ['pods'],
      sinks: [{ sink, updateFilter: 'object.status.phase != oldObject.status.phase' }],
      watchSource: source.factory,
      emitIntervalMs: 1000,
    });
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    source.update('pods', pod('p', 'Failed'));
    source.update('pods', pod('p', 'Running'));
    await vi.advanceTimersByTimeAsync(1000);
    const last = sink.view().get('pods|default/p');
    expect((last?.['status'] as { phase: string }).phase).toBe('Running');
    await p.shutdown();
  });
});

describe('transform: the data an endpoint receives', () => {
  it('sends the projection with real JSON types, and nothing for a change outside it', async () => {
    const source = new FakeSource({ services: [svc('a', 'LoadBalancer')] });
    const sink = new MemorySink();
    const p = proxy(source, {
      clusterName: 'dev',
      sinks: [{ sink, transform: '{"name": object.metadata.name, "type": object.spec.type, "port": 53, "ratio": 0.5, "tags": ["x", 1], "none": null}' }],
    });
    await p.start();
    await p.flush();
    expect(sink.changes[0]).toMatchObject({ event: 'add', uniqueId: 'dev-uid-a', object: { name: 'a', type: 'LoadBalancer', port: 53, ratio: 0.5, tags: ['x', 1], none: null } });
    expect(typeof (sink.changes[0]?.object['port'])).toBe('number');

    source.update('services', svc('a', 'LoadBalancer', { labels: { x: 'y' } }));
    await p.flush();
    expect(sink.changes).toHaveLength(1);
    expect(p.stats().sinks['memory']?.dropped).toEqual({ unchanged: 1 });

    source.update('services', svc('a', 'NodePort'));
    await p.flush();
    source.remove('services', svc('a', 'NodePort'));
    await p.flush();
    expect(events(sink)).toEqual(['add:a', 'update:a', 'delete:a']);
    expect(sink.changes[1]?.object).toEqual({ name: 'a', type: 'NodePort', port: 53, ratio: 0.5, tags: ['x', 1], none: null });
    expect(sink.changes[2]?.object).toMatchObject({ name: 'a', type: 'NodePort' });
    await p.shutdown();
  });

  it('with a filter: a restart deletes what left the set with the transformed state last delivered', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-cel-'));
    dirs.push(stateDir);
    const sink = new MemorySink();
    const options = { sinks: [{ sink, filter: LB, transform: '{"name": object.metadata.name}' }], stateDir };
    const p1 = proxy(new FakeSource({ services: [svc('a', 'LoadBalancer'), svc('b', 'LoadBalancer')] }), options);
    await p1.start();
    await p1.flush();
    await p1.shutdown();
    const p2 = proxy(new FakeSource({ services: [svc('a', 'ClusterIP')] }), options);
    await p2.start();
    await p2.flush();
    expect(events(sink).sort()).toEqual(['add:a', 'add:b', 'delete:a', 'delete:b']);
    expect(sink.changes.slice(2).map((c) => c.object)).toEqual(expect.arrayContaining([{ name: 'a' }, { name: 'b' }]));
    expect(sink.view().size).toBe(0);
    await p2.shutdown();
  });
});

describe('expressions in options', () => {
  it.each<[string, Partial<WatchProxyOptions>, RegExp]>([
    ['a resource filter that does not parse', { resources: [{ name: 'services', filter: 'object.spec.type ==' }] }, /options\.resources\[0\]\.filter 1:20: .*EOF/],
    ['an endpoint filter using oldObject', { sinks: [{ sink: new MemorySink(), filter: 'object.a != oldObject.a' }] }, /options\.sinks\[0\]\.filter 1:13: Unknown variable: oldObject \(this expression can use object, resource\)/],
    ['a transform that is not a map', { sinks: [{ sink: new MemorySink(), transform: 'object.metadata.name + "-x"' }] }, /options\.sinks\[0\]\.transform .*must give a map/],
    ['an updateFilter that is not a bool', { sinks: [{ sink: new MemorySink(), updateFilter: '"x"' }] }, /options\.sinks\[0\]\.updateFilter .*must give a bool/],
    ['a filter that is not a string', { sinks: [{ sink: new MemorySink(), filter: 1 as never }] }, /options\.sinks\[0\]\.filter must be a CEL expression \(a string\)/],
  ])('rejects %s in the constructor with InvalidArgumentError', (_label, patch, message) => {
    const attempt = (): WatchProxy =>
      new WatchProxy({ resources: ['services'], sinks: [new MemorySink()], watchSource: new FakeSource().factory, ...patch } as WatchProxyOptions);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });
});
