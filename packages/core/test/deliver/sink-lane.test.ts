import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADAPTIVE_LINGER_MS, GATE_RECHECK_MS } from '../../src/deliver/lane-contract.js';
import { delivered, partial, retryable } from '../../src/sink/sink.js';
import { brief, change, makeLane, ScriptedSink, untilAborted } from './fixtures.js';
import type { Change } from '../../src/types.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SinkLane batching', () => {
  it('sends a change to an idle sink at once, then at most one batch per interval', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink);
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.map((c) => [c.at, brief(c.batch.items)])).toEqual([[0, ['add:a@1']]]);

    await vi.advanceTimersByTimeAsync(100);
    lane.offer(change('add', 'b'));
    lane.offer(change('add', 'c'));
    lane.offer(change('update', 'b', 2));
    await vi.advanceTimersByTimeAsync(899);
    expect(sink.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.calls.map((c) => [c.at, brief(c.batch.items)])).toEqual([
      [0, ['add:a@1']],
      [1000, ['add:b@2', 'add:c@1']],
    ]);
    // idle again for more than an interval: the next change goes at once
    await vi.advanceTimersByTimeAsync(5000);
    lane.offer(change('update', 'a', 3));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.at(-1)?.at).toBe(6000);
  });

  it('cuts batches at emitBatchMaxObjects and emitBatchMaxBytes, one per interval', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { maxObjects: 3, emitIntervalMs: 1000 });
    for (let i = 0; i < 7; i++) lane.offer(change('add', `o${i}`));
    await vi.advanceTimersByTimeAsync(2500);
    expect(sink.calls.map((c) => [c.at, c.batch.items.length])).toEqual([[0, 3], [1000, 3], [2000, 1]]);

    const bytes = new ScriptedSink();
    const small = makeLane(bytes, { maxObjects: 100, maxBytes: 300, emitIntervalMs: 10 });
    for (let i = 0; i < 4; i++) small.lane.offer(change('add', `o${i}`, 'x'.repeat(100)));
    await vi.advanceTimersByTimeAsync(100);
    expect(bytes.calls.map((c) => c.batch.items.length)).toEqual([1, 1, 1, 1]);
    expect(bytes.calls[0]?.batch.bytes).toBeGreaterThan(100);
  });

  it('flush sends back to back without waiting for the interval, and resolves when idle', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { maxObjects: 2, emitIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) lane.offer(change('add', `o${i}`));
    let flushed = false;
    void lane.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.map((c) => c.at)).toEqual([0, 0, 0]);
    expect(flushed).toBe(true);
  });

  it('never calls send concurrently and keeps per-object order across batches', async () => {
    const sink = new ScriptedSink('slow', async () => {
      await new Promise((r) => setTimeout(r, 700));
      return delivered();
    });
    const { lane } = makeLane(sink, { maxObjects: 1, emitIntervalMs: 100 });
    lane.offer(change('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(change('update', 'a', 2));
    lane.offer(change('delete', 'a', 2));
    lane.offer(change('add', 'a', 3, 'u2'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.maxConcurrent).toBe(1);
    expect(sink.sent()).toEqual(['add:a@1', 'delete:a@2', 'add:a@3']);
  });
});

describe('SinkLane batching without an emitInterval (adaptive)', () => {
  const adaptive = { emitIntervalMs: 'adaptive' } as const;

  it('sends a change to an idle sink at once, every time the sink has been idle for the linger', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, adaptive);
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(ADAPTIVE_LINGER_MS);
    lane.offer(change('add', 'b'));
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(500);
    lane.offer(change('add', 'c'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.map((c) => [c.at, brief(c.batch.items)])).toEqual([
      [0, ['add:a@1']],
      [ADAPTIVE_LINGER_MS, ['add:b@1']],
      [ADAPTIVE_LINGER_MS + 500, ['add:c@1']],
    ]);
  });

  it('under a steady stream, starts a partial batch one linger after the previous one started', async () => {
    // A 3 ms round trip: changes arrive while a batch is in flight, so batches follow each other.
    const sink = new ScriptedSink('rtt', async () => {
      await new Promise((r) => setTimeout(r, 3));
      return delivered();
    });
    const { lane } = makeLane(sink, { ...adaptive, maxObjects: 100 });
    for (let i = 0; i < 50; i++) {
      lane.offer(change('add', `o${i}`));
      await vi.advanceTimersByTimeAsync(2); // 500 changes/s
    }
    await vi.advanceTimersByTimeAsync(100);
    const starts = sink.calls.map((c) => c.at);
    expect(starts.slice(0, 4)).toEqual([0, 10, 20, 30]);
    expect(starts.slice(1).map((at, i) => at - (starts[i] ?? 0)).every((gap) => gap >= ADAPTIVE_LINGER_MS)).toBe(true);
    // Each partial batch holds what the 2 ms stream brought during one linger: 4 or 5 changes.
    expect(sink.calls.slice(1, -1).every((c) => c.batch.items.length >= 4 && c.batch.items.length <= 5)).toBe(true);
    expect(sink.calls.flatMap((c) => c.batch.items)).toHaveLength(50);
    // No change waited longer than the linger plus one round trip for its batch to start.
    expect(sink.calls.every((c) => c.batch.items.every((item) => c.at - Number(item.name.slice(1)) * 2 <= ADAPTIVE_LINGER_MS))).toBe(true);
  });

  it('sends full batches back to back, each as soon as the previous one is done; the partial rest lingers', async () => {
    const sink = new ScriptedSink('rtt', async () => {
      await new Promise((r) => setTimeout(r, 4));
      return delivered();
    });
    const { lane } = makeLane(sink, { ...adaptive, maxObjects: 3 });
    for (let i = 0; i < 10; i++) lane.offer(change('add', `o${i}`));
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.calls.map((c) => [c.at, c.batch.items.length])).toEqual([
      [0, 3],
      [4, 3],
      [8, 3],
      [8 + ADAPTIVE_LINGER_MS, 1],
    ]);
    expect(sink.maxConcurrent).toBe(1);
  });

  it('a batch filled up by emitBatchMaxBytes, or by changes arriving during the linger, goes without waiting', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { ...adaptive, maxObjects: 3, maxBytes: 1 << 20 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(1);
    lane.offer(change('add', 'b'));
    lane.offer(change('add', 'c'));
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.calls.map((c) => c.at)).toEqual([0]);
    lane.offer(change('add', 'd')); // three pending: a full batch
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls.map((c) => [c.at, brief(c.batch.items)])).toEqual([
      [0, ['add:a@1']],
      [2, ['add:b@1', 'add:c@1', 'add:d@1']],
    ]);

    const bytes = new ScriptedSink();
    const big = makeLane(bytes, { ...adaptive, maxObjects: 100, maxBytes: 300 });
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) big.lane.offer(change('add', `o${i}`, 'x'.repeat(200)));
    await vi.advanceTimersByTimeAsync(0);
    // Each change alone exceeds maxBytes: every batch is full, so all four go back to back.
    expect(bytes.calls.map((c) => [c.at - t0, c.batch.items.length])).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
  });

  it('keeps backoff between retries, and flush skips the linger', async () => {
    let n = 0;
    const sink = new ScriptedSink('flaky', () => (++n <= 2 ? retryable(new Error('503')) : delivered()));
    const { lane } = makeLane(sink, { ...adaptive, random: () => 0.5 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.calls.map((c) => [c.at, c.ctx.attempt])).toEqual([[0, 1], [250, 2], [750, 3]]);

    const quick = new ScriptedSink();
    const flushed = makeLane(quick, adaptive);
    const t0 = Date.now();
    flushed.lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(1);
    flushed.lane.offer(change('add', 'b'));
    flushed.lane.offer(change('add', 'c'));
    await vi.advanceTimersByTimeAsync(1);
    expect(quick.calls).toHaveLength(1); // b and c linger
    void flushed.lane.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(quick.calls.map((c) => [c.at - t0, brief(c.batch.items)])).toEqual([
      [0, ['add:a@1']],
      [2, ['add:b@1', 'add:c@1']],
    ]);
  });
});

describe('SinkLane dedupe against the emit cache', () => {
  it('records only after delivery; unchanged states are dropped, re-adds become updates', async () => {
    const sink = new ScriptedSink();
    const { lane, cache, rec } = makeLane(sink);
    lane.offer(change('add', 'a', 1));
    expect(cache.size).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.get('configmaps|ns/a')?.uid).toBe('u-a');

    lane.offer(change('add', 'a', 1)); // relist of the same state
    lane.offer(change('update', 'a', 1)); // resync
    expect(rec.drops.map((d) => d.reason)).toEqual(['unchanged', 'unchanged']);
    lane.offer(change('add', 'a', 2)); // changed while we were not looking: the sink already has it, so update
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.sent()).toEqual(['add:a@1', 'update:a@2']);
  });

  it('drops a pending update when the object returns to the delivered state', async () => {
    const sink = new ScriptedSink();
    const { lane, rec } = makeLane(sink);
    lane.offer(change('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('update', 'a', 2));
    lane.offer(change('update', 'a', 1));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.sent()).toEqual(['add:a@1']);
    expect(rec.drops.map((d) => [d.reason, d.items])).toEqual([
      ['unchanged', ['update:a@2']],
      ['unchanged', ['update:a@1']],
    ]);
  });

  it('an add and its delete that meet in the queue are counted as coalesced, not sent', async () => {
    const sink = new ScriptedSink();
    const { lane, rec } = makeLane(sink);
    lane.offer(change('add', 'x'));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('add', 'a'));
    lane.offer(change('delete', 'a'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.sent()).toEqual(['add:x@1']);
    expect(rec.drops).toEqual([{ reason: 'coalesced', items: ['add:a@1', 'delete:a@1'] }]);
  });

  it('announces the delete of the old incarnation before a re-created name', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink);
    lane.offer(change('add', 'a', 1, 'u1'));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('add', 'a', 2, 'u2')); // the watcher missed the delete
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls.at(-1)?.batch.items.map((c) => [c.event, c.uid, c.synthesized])).toEqual([
      ['delete', 'u1', 'recreated'],
      ['add', 'u2', undefined],
    ]);
  });

  it('reconcile sends deletes with the last delivered state for objects that are gone', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink);
    for (const name of ['a', 'b', 'c']) lane.offer(change('add', name, name));
    await vi.advanceTimersByTimeAsync(0);
    const count = lane.reconcile('configmaps', new Set(['configmaps|ns/a']), 'restart');
    expect(count).toBe(2);
    expect(lane.reconcile('secrets', new Set(), 'relist')).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    const last = sink.calls.at(-1)?.batch.items ?? [];
    expect(brief(last)).toEqual(['delete:b@"b"', 'delete:c@"c"']);
    expect(last.map((c) => c.synthesized)).toEqual(['restart', 'restart']);
    // delivered deletes leave the cache: a second reconcile finds nothing
    expect(lane.reconcile('configmaps', new Set(['configmaps|ns/a']), 'relist')).toBe(0);
    // a pending add the sink never got is not "deleted": it just vanishes
    lane.offer(change('add', 'z'));
    lane.offer(change('add', 'y'));
    expect(lane.reconcile('configmaps', new Set(['configmaps|ns/a', 'configmaps|ns/y']), 'relist')).toBe(0);
    expect(lane.stats().dropped).toEqual({ coalesced: 2 });
  });

  it('retract: a synthesized delete without state goes out carrying the last state the sink was sent, only for the incarnation it holds', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink);
    lane.offer(change('add', 'a', 'last-a'));
    lane.offer(change('add', 'b', 'last-b', 'u-b1'));
    await vi.advanceTimersByTimeAsync(0);
    // What a watcher keeps of an object, no data: the lane must not send this as the state.
    const skeleton = (name: string, uid: string, synthesized: 'relist' | 'recreated'): Change =>
      Object.freeze({ ...change('delete', name, undefined, uid), object: { metadata: { name, namespace: 'ns', uid } }, synthesized });
    lane.retract(skeleton('a', 'u-a', 'relist'));
    lane.retract(skeleton('b', 'u-b0', 'recreated')); // an incarnation the sink never had
    lane.retract(skeleton('never', 'u-never', 'relist'));
    await vi.advanceTimersByTimeAsync(1000);
    const last = sink.calls.at(-1)?.batch.items ?? [];
    expect(brief(last)).toEqual(['delete:a@"last-a"']);
    expect(last[0]).toMatchObject({ synthesized: 'relist', uid: 'u-a' });
    expect(lane.stats().dropped).toEqual({ unchanged: 2 });
  });
});

describe('SinkLane retries', () => {
  it('retries with exponential backoff and full jitter until delivered', async () => {
    let n = 0;
    const sink = new ScriptedSink('flaky', () => (++n <= 4 ? retryable(new Error('503')) : delivered()));
    const { lane, cache, rec } = makeLane(sink, { random: () => 0.5 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(60_000);
    // random 0.5 → half of 500, 1000, 2000, 4000
    expect(rec.retries).toEqual([
      { attempt: 1, delayMs: 250 },
      { attempt: 2, delayMs: 500 },
      { attempt: 3, delayMs: 1000 },
      { attempt: 4, delayMs: 2000 },
    ]);
    expect(sink.calls.map((c) => [c.at, c.ctx.attempt])).toEqual([[0, 1], [250, 2], [750, 3], [1750, 4], [3750, 5]]);
    expect(new Set(sink.calls.map((c) => c.batch.id)).size).toBe(1); // same batch id on every attempt
    expect(rec.emitted).toEqual([{ items: ['add:a@1'], attempts: 5 }]);
    expect(cache.size).toBe(1);
    expect(rec.errors.map((e) => e.code)).toEqual(Array(4).fill('WP_ERR_SINK_SEND'));
  });

  it('honours retryAfterMs', async () => {
    let n = 0;
    const sink = new ScriptedSink('busy', () => (++n === 1 ? retryable(new Error('429'), { afterMs: 7000 }) : delivered()));
    const { lane } = makeLane(sink, { random: () => 0 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sink.calls.map((c) => c.at)).toEqual([0, 7000]);
  });

  it('coalesces newer changes while a batch is retried, and sends them after it', async () => {
    let healthy = false;
    const sink = new ScriptedSink('down', () => (healthy ? delivered() : retryable(new Error('down'))));
    const { lane } = makeLane(sink, { random: () => 1 });
    lane.offer(change('add', 'a', 0));
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 1; i <= 1000; i++) lane.offer(change('update', 'a', i));
    expect(lane.stats()).toMatchObject({ queued: 1, inFlight: 1 });
    healthy = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(sink.sent().filter((_s, i, all) => all.indexOf(_s) === i)).toEqual(['add:a@0', 'update:a@1000']);
  });

  it('treats a throw as retryable', async () => {
    let n = 0;
    const sink = new ScriptedSink('throws', () => {
      if (++n === 1) throw new TypeError('fetch failed');
      return delivered();
    });
    const { lane, rec } = makeLane(sink, { random: () => 0 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.calls).toHaveLength(2);
    expect(rec.errors[0]?.message).toContain('fetch failed');
    expect(rec.errors[0]?.cause).toBeInstanceOf(TypeError);
  });

  it('resends only the indexes of a partial outcome', async () => {
    let n = 0;
    const sink = new ScriptedSink('partial', () => (++n === 1 ? partial([1], new Error('one failed')) : delivered()));
    const { lane, cache } = makeLane(sink, { random: () => 0 });
    for (const name of ['a', 'b', 'c']) lane.offer(change('add', name));
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.calls.map((c) => brief(c.batch.items))).toEqual([['add:a@1', 'add:b@1', 'add:c@1'], ['add:b@1']]);
    expect(cache.size).toBe(3);
  });

  it('aborts an attempt that hangs past attemptTimeoutMs and retries', async () => {
    let n = 0;
    const sink = new ScriptedSink('hangs', ({ ctx }) => (++n === 1 ? untilAborted(ctx.signal) : delivered()));
    const { lane, rec } = makeLane(sink, { attemptTimeoutMs: 5000, random: () => 0 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(4999);
    expect(sink.calls[0]?.ctx.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.calls[0]?.ctx.signal.aborted).toBe(true);
    expect(sink.calls[0]?.ctx.deadline).toBe(5000);
    await vi.advanceTimersByTimeAsync(1); // the 0 ms backoff
    expect(sink.calls).toHaveLength(2);
    expect(rec.errors.map((e) => e.code)).toEqual(['WP_ERR_SINK_TIMEOUT']);
  });

  it('moves on from a sink that ignores its AbortSignal after abortGraceMs', async () => {
    let n = 0;
    const sink = new ScriptedSink('deaf', () => (++n === 1 ? new Promise(() => {}) : delivered()));
    const { lane } = makeLane(sink, { attemptTimeoutMs: 1000, abortGraceMs: 500, random: () => 0 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(1499);
    expect(sink.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2); // grace ends, then the 0 ms backoff
    expect(sink.calls).toHaveLength(2);
  });
});

describe('SinkLane behind a gate that closes on the clock (still active: its transition has not run yet)', () => {
  it('a batch held back after an attempt puts its adds back as updates, so a later delete of the object is sent', async () => {
    let open = true;
    // The POST may have reached the receiver; the answer never came.
    const sink = new ScriptedSink('no answer', ({ ctx }) => untilAborted(ctx.signal));
    const { lane, rec } = makeLane(sink, { mayDeliver: () => open, attemptTimeoutMs: 1000, random: () => 0 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls).toHaveLength(1);
    open = false; // the renewal is late: the gate reads closed, no transition yet
    await vi.advanceTimersByTimeAsync(1001); // the attempt times out; its retry (0 ms backoff) finds the gate closed
    expect(sink.calls).toHaveLength(1);
    expect(lane.stats()).toMatchObject({ queued: 1, inFlight: 0 });
    lane.offer(change('delete', 'a'));
    sink.script = () => delivered();
    open = true;
    await lane.flush();
    expect(sink.sent()).toEqual(['add:a@1', 'delete:a@1']);
    expect(rec.drops).toEqual([]);
  });

  it('a batch held back before any attempt keeps its adds: the receiver never got them, so a delete cancels out', async () => {
    let open = false;
    const sink = new ScriptedSink();
    const { lane, rec } = makeLane(sink, { mayDeliver: () => open });
    lane.offer(change('add', 'a'));
    lane.offer(change('add', 'b'));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('delete', 'a'));
    open = true;
    await lane.flush();
    expect(sink.sent()).toEqual(['add:b@1']);
    expect(rec.drops).toEqual([{ reason: 'coalesced', items: ['add:a@1', 'delete:a@1'] }]);
  });

  it('a held-back batch goes back before newer changes to the same objects, which coalesce with it', async () => {
    let open = true;
    let n = 0;
    const sink = new ScriptedSink('flaky', () => (++n === 1 ? retryable(new Error('503')) : delivered()));
    const { lane } = makeLane(sink, { mayDeliver: () => open, random: () => 1 });
    lane.offer(change('add', 'a', 1));
    lane.offer(change('add', 'b', 1));
    await vi.advanceTimersByTimeAsync(0);
    open = false;
    lane.offer(change('update', 'b', 2));
    lane.offer(change('add', 'c', 1));
    await vi.advanceTimersByTimeAsync(500); // the backoff ends; the retry finds the gate closed
    open = true;
    await lane.flush();
    expect(sink.calls.map((c) => brief(c.batch.items))).toEqual([
      ['add:a@1', 'add:b@1'],
      ['add:c@1', 'update:a@1', 'update:b@2'],
    ]);
  });

  it('resumes by itself when the gate reopens without a transition, looking at it once per GATE_RECHECK_MS meanwhile', async () => {
    let open = false;
    let looks = 0;
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, {
      mayDeliver: () => {
        looks++;
        return open;
      },
    });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(10 * GATE_RECHECK_MS);
    expect(sink.calls).toHaveLength(0);
    expect(looks).toBeLessThanOrEqual(11);
    open = true; // a late renewal succeeded: open again, and no listener is told
    await vi.advanceTimersByTimeAsync(GATE_RECHECK_MS);
    expect(sink.sent()).toEqual(['add:a@1']);
  });

  it('an idle lane does not look at a closed gate at all', async () => {
    let looks = 0;
    const sink = new ScriptedSink();
    makeLane(sink, {
      mayDeliver: () => {
        looks++;
        return false;
      },
    });
    await vi.advanceTimersByTimeAsync(10 * GATE_RECHECK_MS);
    expect(looks).toBe(0);
  });
});

describe('SinkLane close', () => {
  it('aborts what is in flight and counts everything left as dropped: shutdown', async () => {
    const sink = new ScriptedSink('hangs', ({ ctx }) => untilAborted(ctx.signal));
    const { lane, rec } = makeLane(sink);
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('add', 'b'));
    const closed = lane.close();
    await vi.advanceTimersByTimeAsync(0);
    await closed;
    expect(sink.calls[0]?.ctx.signal.aborted).toBe(true);
    expect(rec.drops.map((d) => [d.reason, d.items])).toEqual([
      ['shutdown', ['add:a@1']],
      ['shutdown', ['add:b@1']],
    ]);
    lane.offer(change('add', 'c'));
    expect(lane.stats().dropped).toEqual({ shutdown: 3 });
  });
});

describe('SinkLane beforeSend', () => {
  it('awaits beforeSend before each attempt: the sink sees nothing until the hook resolved', async () => {
    const sink = new ScriptedSink();
    const order: string[] = [];
    let release: (() => void) | undefined;
    const { lane } = makeLane(sink, {
      beforeSend: (batch) => {
        order.push(`before:${brief(batch.items).join(',')}`);
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    sink.script = (call) => {
      order.push(`send:${brief(call.batch.items).join(',')}`);
      return { status: 'delivered' };
    };
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['before:add:a@1']);
    expect(sink.calls).toHaveLength(0);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['before:add:a@1', 'send:add:a@1']);
  });

  it('paces sends, not hooks: a slow beforeSend (a journal fsync) cannot bring two sends closer than emitInterval', async () => {
    const sink = new ScriptedSink();
    let hooks = 0;
    const { lane } = makeLane(sink, {
      maxObjects: 1,
      emitIntervalMs: 100,
      // The first hook takes 60 ms, the others none: the receiver must still see sends >= 100 ms apart.
      beforeSend: () => (hooks++ === 0 ? new Promise<void>((resolve) => setTimeout(resolve, 60)) : Promise.resolve()),
    });
    for (const name of ['a', 'b', 'c']) lane.offer(change('add', name));
    await vi.advanceTimersByTimeAsync(1000);
    const at = sink.calls.map((c) => c.at);
    expect(at).toHaveLength(3);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(100);
  });
});
