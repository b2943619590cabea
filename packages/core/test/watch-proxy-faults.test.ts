import { afterEach, describe, expect, it, vi } from 'vitest';
import { delivered, retryable } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';

afterEach(() => {
  vi.useRealTimers();
});

function cm(i: number, value: number): KubeObject {
  return { metadata: { name: `o${i}`, namespace: 'churn', uid: `u${i}` }, data: { value } };
}

function values(sink: MemorySink): Map<string, unknown> {
  return new Map([...sink.view()].map(([k, o]) => [k, (o['data'] as { value: unknown }).value]));
}

describe('WatchProxy under failing sinks', () => {
  it('a flaky, a hanging and a 30 s busy sink all converge; the healthy one is never more than an interval late; queues stay bounded', async () => {
    vi.useFakeTimers({ now: 0 });
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const objects = 10_000;
    const state = new Map<number, KubeObject>();
    for (let i = 0; i < objects; i++) state.set(i, cm(i, 0));
    const source = new FakeSource({ configmaps: [...state.values()] });

    const healthy = new MemorySink({ name: 'healthy' });
    const flaky = new MemorySink({ name: 'flaky', behaviour: () => (random() < 0.5 ? retryable(new Error('coin')) : delivered()) });
    let hangUntil = 20_000;
    const hanging = new MemorySink({
      name: 'hanging',
      behaviour: (_batch, ctx) =>
        Date.now() < hangUntil
          ? new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))))
          : delivered(),
    });
    const busy = new MemorySink({
      name: 'busy',
      behaviour: () => (Date.now() < 30_000 ? retryable(new Error('503'), { afterMs: 5000 }) : delivered()),
    });
    const proxy = new WatchProxy({
      resources: ['configmaps'],
      sinks: [healthy, flaky, hanging, busy],
      watchSource: source.factory,
      emitIntervalMs: 1000,
      emitBatchMaxObjects: 50_000,
      // the whole initial list in one batch, as the first assertion expects
      emitBatchMaxBytes: 5 * 1024 * 1024,
      attemptTimeoutMs: 3000,
      retry: { initialMs: 200, maxMs: 4000 },
      clock: { now: Date.now, random },
    });
    await proxy.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(healthy.view().size).toBe(objects);

    let maxPending = 0;
    for (let second = 1; second <= 60; second++) {
      for (let n = 0; n < 500; n++) {
        const i = Math.floor(random() * objects);
        const next = cm(i, second * 1000 + n);
        state.set(i, next);
        source.update('configmaps', next);
      }
      await vi.advanceTimersByTimeAsync(1000);
      // everything offered before this interval is at the healthy sink now
      const want = values(healthy);
      for (const [i, object] of state) {
        if (want.get(`configmaps|churn/o${i}`) !== (object['data'] as { value: number }).value) {
          throw new Error(`healthy sink is late for o${i} at second ${second}`);
        }
      }
      for (const lane of Object.values(proxy.stats().sinks)) maxPending = Math.max(maxPending, lane.queued + lane.inFlight);
    }
    // bounded by live objects (one pending state each, plus at most one batch in flight), not by 30 000 events
    expect(maxPending).toBeLessThanOrEqual(2 * objects);
    hangUntil = 0;
    const flushed = proxy.flush();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await flushed).toBe(true);
    const truth = new Map([...state].map(([i, o]) => [`configmaps|churn/o${i}`, (o['data'] as { value: number }).value]));
    for (const sink of [healthy, flaky, hanging, busy]) expect(values(sink)).toEqual(truth);
    const report = await proxy.shutdown();
    expect(report.dropped.rejected ?? 0).toBe(0);
    expect(report.dropped.shutdown ?? 0).toBe(0);
  }, 60_000);
});
