import { silentLogger, type Batch, type SendContext, type Sink } from '@watch-proxy/core';
import { delivered, rejected, retryable } from '@watch-proxy/core/sink';
import { contractBatch, contractChange, describeSinkContract, MemorySink } from '@watch-proxy/core/testing';
import { describe, expect, it } from 'vitest';

import type { SendObservation } from '../../src/serve/metrics-snapshot.js';
import { timedSink } from '../../src/serve/timed-sink.js';

function batch(items: number): Batch {
  return contractBatch(Array.from({ length: items }, (_v, i) => contractChange('add', `cm-${i}`)));
}

function ctx(attempt: number): SendContext {
  return { signal: new AbortController().signal, attempt, deadline: Date.now() + 5_000, logger: silentLogger };
}

describe('timedSink', () => {
  it('reports each attempt with its duration, outcome, objects and attempt, and returns the outcome unchanged', async () => {
    const seen: [string, SendObservation][] = [];
    const ticks = [100, 350, 1000, 1004, 2000, 2001];
    const outcomes = [retryable(new Error('503')), delivered(), rejected(new Error('400'))];
    const inner: Sink = { name: 'cmdb', send: async () => outcomes.shift() ?? delivered() };
    const sink = timedSink(inner, { observeSend: (endpoint, o) => void seen.push([endpoint, o]) }, () => ticks.shift() ?? 0);

    expect((await sink.send(batch(3), ctx(1))).status).toBe('retryable');
    expect((await sink.send(batch(3), ctx(2))).status).toBe('delivered');
    expect((await sink.send(batch(1), ctx(1))).status).toBe('rejected');
    expect(seen).toEqual([
      ['cmdb', { seconds: 0.25, outcome: 'retryable', objects: 3, attempt: 1 }],
      ['cmdb', { seconds: 0.004, outcome: 'delivered', objects: 3, attempt: 2 }],
      ['cmdb', { seconds: 0.001, outcome: 'rejected', objects: 1, attempt: 1 }],
    ]);
  });

  it('counts a throw as retryable and re-throws it; an observer that throws changes nothing', async () => {
    const seen: SendObservation[] = [];
    const boom = new Error('socket hang up');
    const throwing = timedSink({ name: 'a', send: () => Promise.reject(boom) }, { observeSend: (_e, o) => void seen.push(o) });
    await expect(throwing.send(batch(2), ctx(1))).rejects.toBe(boom);
    expect(seen.map((o) => o.outcome)).toEqual(['retryable']);

    const fine = timedSink({ name: 'b', send: async () => delivered() }, { observeSend: () => { throw new Error('metrics broke'); } });
    expect(await fine.send(batch(1), ctx(1))).toEqual(delivered());
  });

  it('keeps the name and limits, forwards start and close to the sink itself, and adds none it lacks', async () => {
    const memory = new MemorySink({ name: 'http:inventory' });
    const sink = timedSink(memory, { observeSend: () => {} });
    expect(sink.name).toBe('http:inventory');
    const lifecycle = { signal: new AbortController().signal, logger: silentLogger };
    await sink.start?.(lifecycle);
    await sink.close?.(lifecycle);
    expect([memory.started, memory.closed]).toEqual([1, 1]);

    const bare = timedSink({ name: 'bare', limits: { maxItems: 5 }, send: async () => delivered() }, { observeSend: () => {} });
    expect(Object.keys(bare).sort()).toEqual(['limits', 'name', 'send']);
    expect(bare.limits).toEqual({ maxItems: 5 });
  });
});

// The wrapper must not change how a sink behaves for core: it passes the sink conformance suite.
describeSinkContract('timedSink(MemorySink)', () => timedSink(new MemorySink(), { observeSend: () => {} }));
