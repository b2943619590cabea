import { afterEach, describe, expect, it } from 'vitest';
import { FakeSource } from '../../src/testing/fake-source.js';
import type { KubeObject } from '../../src/types.js';
import { WatchProxy } from '../../src/watch-proxy.js';
import { ManualGate, MemorySharedCache, Receiver, cm } from './ha-fixtures.js';

/** The same cluster as seen by two replicas' watches. */
class TwinSource {
  readonly a = new FakeSource();
  readonly b = new FakeSource();
  add(o: KubeObject): void {
    this.a.add('configmaps', o);
    this.b.add('configmaps', o);
  }
  update(o: KubeObject): void {
    this.a.update('configmaps', o);
    this.b.update('configmaps', o);
  }
  remove(o: KubeObject): void {
    this.a.remove('configmaps', o);
    this.b.remove('configmaps', o);
  }
}

const proxies: WatchProxy[] = [];

function replica(source: FakeSource, receiver: Receiver, id: string, gate: ManualGate, store?: MemorySharedCache): WatchProxy {
  const proxy = new WatchProxy({
    resources: ['configmaps'],
    sinks: [receiver.sinkFor(id)],
    watchSource: source.factory,
    emitIntervalMs: 0,
    gate,
    sharedCache: store,
    sharedCacheIntervalMs: 10,
  });
  proxies.push(proxy);
  return proxy;
}

const key = (name: string): string => `configmaps|default/${name}`;

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.shutdown({ timeoutMs: 0 })));
});

describe('WatchProxy with a delivery gate', () => {
  it('sends only from the replica whose gate is open; the standby keeps watching but sends nothing', async () => {
    const cluster = new TwinSource();
    const receiver = new Receiver();
    const gateA = new ManualGate();
    const gateB = new ManualGate();
    gateA.set(true);
    const a = replica(cluster.a, receiver, 'a', gateA);
    const b = replica(cluster.b, receiver, 'b', gateB);
    await Promise.all([a.start(), b.start()]);
    expect(a.active).toBe(true);
    expect(b.active).toBe(false);
    for (let i = 0; i < 20; i++) cluster.add(cm(`x${i}`, i));
    cluster.remove(cm('x3', 3));
    await receiver.waitFor(() => receiver.view().size === 19 && !receiver.view().has(key('x3')), 'the receiver to converge');
    expect(new Set(receiver.log.map((l) => l.sender))).toEqual(new Set(['a']));
    expect(await b.flush({ timeoutMs: 100 })).toBe(true);
    expect(b.stats().sinks['receiver']?.delivered).toBe(0);
    expect(b.stats().sinks['receiver']?.queued).toBe(0);
  });

  it('a new leader sends only what the receiver misses: changes made during the handover, deletes included, and nothing unchanged', async () => {
    const cluster = new TwinSource();
    const receiver = new Receiver();
    const store = new MemorySharedCache();
    const gateA = new ManualGate();
    const gateB = new ManualGate();
    gateA.set(true);
    const a = replica(cluster.a, receiver, 'a', gateA, store);
    const b = replica(cluster.b, receiver, 'b', gateB, store);
    await Promise.all([a.start(), b.start()]);
    for (const name of ['a1', 'b1', 'c1']) cluster.add(cm(name, 1));
    await receiver.waitFor(() => receiver.view().size === 3, 'a, b, c delivered');
    await store.waitFor(() => store.sinks.get('receiver')?.size === 3);
    // From here A's saves are lost: it delivers d1 and dies before saving that.
    store.frozen = true;
    cluster.add(cm('d1', 1));
    await receiver.waitFor(() => receiver.view().has(key('d1')), 'd delivered by the old leader');
    gateA.set(false);
    a.destroy();
    const before = receiver.log.length;
    // The handover: nobody is sending.
    cluster.remove(cm('a1', 1));
    cluster.remove(cm('d1', 1));
    cluster.update(cm('b1', 2));
    cluster.add(cm('e1', 1));
    cluster.add(cm('f1', 1));
    cluster.remove(cm('f1', 1));
    store.frozen = false;
    gateB.set(true);
    const expected = new Map([
      [key('b1'), 2],
      [key('c1'), 1],
      [key('e1'), 1],
    ]);
    await receiver.waitFor(() => receiver.view().size === 3 && receiver.view().get(key('b1')) === 2 && receiver.view().has(key('e1')), 'convergence after failover');
    expect(receiver.view()).toEqual(expected);
    const sent = receiver.log.slice(before);
    expect(new Set(sent.map((l) => l.sender))).toEqual(new Set(['b']));
    // c1 is unchanged since A delivered it (the shared cache says so): not repeated.
    expect(sent.filter((l) => l.change.key === key('c1'))).toEqual([]);
    // Both deletes arrive, d1's although the shared cache never heard of it (remembered while standby).
    expect(sent.filter((l) => l.change.event === 'delete').map((l) => l.change.key).sort()).toEqual([key('a1'), key('d1'), key('f1')]);
    // B now saves the shared cache for the next failover.
    await store.waitFor(() => store.sinks.get('receiver')?.size === 3);
  });

  it('standing down aborts the send in flight and sends nothing more until the gate opens again', async () => {
    const source = new FakeSource();
    const gate = new ManualGate();
    gate.set(true);
    const receiver = new Receiver();
    const sink = receiver.sinkFor('a');
    const deliver = sink.behaviour;
    let aborted: unknown;
    let attempted: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (attempted = resolve));
    sink.behaviour = (_batch, ctx) =>
      new Promise((resolve) => {
        attempted();
        ctx.signal.addEventListener('abort', () => {
          aborted = ctx.signal.reason;
          resolve({ status: 'retryable', error: new Error('aborted') });
        });
      });
    const proxy = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: source.factory, emitIntervalMs: 0, gate });
    proxies.push(proxy);
    await proxy.start();
    source.add('configmaps', cm('x', 1));
    await inFlight;
    expect(sink.attempts).toBe(1);
    gate.set(false);
    expect(aborted).toBeInstanceOf(Error);
    source.add('configmaps', cm('y', 1));
    source.remove('configmaps', cm('x', 1));
    expect(await proxy.flush({ timeoutMs: 50 })).toBe(true);
    expect(sink.attempts).toBe(1);
    sink.behaviour = deliver;
    gate.set(true);
    await receiver.waitFor(() => receiver.view().has(key('y')) && receiver.log.some((l) => l.change.key === key('x') && l.change.event === 'delete'), 'y and the delete of x');
    expect(receiver.view()).toEqual(new Map([[key('y'), 1]]));
  });

  it('a gate that reads closed on the clock holds every batch back even before its transition is reported', async () => {
    const source = new FakeSource();
    const gate = new ManualGate();
    gate.set(true);
    const receiver = new Receiver();
    const sink = receiver.sinkFor('a');
    const proxy = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: source.factory, emitIntervalMs: 0, gate });
    proxies.push(proxy);
    await proxy.start();
    gate.clockClosed = true;
    source.add('configmaps', cm('x', 1));
    expect(await proxy.flush({ timeoutMs: 50 })).toBe(false);
    expect(sink.attempts).toBe(0);
    gate.set(false);
    gate.clockClosed = false;
    gate.set(true);
    await receiver.waitFor(() => receiver.view().has(key('x')), 'x after the gate reopened');
    expect(sink.attempts).toBe(1);
  });

  it('a takeover whose shared-cache load ends while the gate reads closed on the clock still activates: the gate reopens without a transition', async () => {
    const source = new FakeSource({ configmaps: [cm('before', 1)] });
    const gate = new ManualGate();
    const receiver = new Receiver();
    const store = new MemorySharedCache();
    let loaded: () => void = () => {};
    const loading = new Promise<void>((resolve) => (loaded = resolve));
    const load = store.load.bind(store);
    store.load = async (sink) => {
      await loading;
      return load(sink);
    };
    const proxy = replica(source, receiver, 'a', gate, store);
    await proxy.start();
    gate.set(true);
    // The load outlasts the renew deadline: `open` reads false before the elector's deadline timer (or the
    // renewal) had a chance to run...
    gate.clockClosed = true;
    loaded();
    // Every continuation of the takeover runs before a macrotask: the activation has read the gate by then.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // ...and the renewal, begun before the deadline, succeeds after it: open again, and no transition follows.
    gate.clockClosed = false;
    source.add('configmaps', cm('after', 1));
    await receiver.waitFor(() => receiver.view().has(key('before')) && receiver.view().has(key('after')), 'the replay of the takeover and a change after it', 3000);
    expect(proxy.active).toBe(true);
  });

  it('a standby remembers deletes for handoverWindowMs and sends them on taking over; older ones are forgotten', async () => {
    let now = 1_000_000;
    const source = new FakeSource({ configmaps: [cm('old', 1), cm('recent', 1), cm('kept', 1)] });
    const gate = new ManualGate();
    const receiver = new Receiver();
    const proxy = new WatchProxy({
      resources: ['configmaps'],
      sinks: [receiver.sinkFor('b')],
      watchSource: source.factory,
      emitIntervalMs: 0,
      gate,
      handoverWindowMs: 60_000,
      clock: { now: () => now },
    });
    proxies.push(proxy);
    await proxy.start();
    source.remove('configmaps', cm('old', 1));
    now += 61_000;
    source.remove('configmaps', cm('recent', 1));
    gate.set(true);
    await receiver.waitFor(() => receiver.view().has(key('kept')), 'the replay');
    expect(await proxy.flush({ timeoutMs: 1000 })).toBe(true);
    const deletes = receiver.log.filter((l) => l.change.event === 'delete').map((l) => l.change.key);
    expect(deletes).toEqual([key('recent')]);
  });
});
