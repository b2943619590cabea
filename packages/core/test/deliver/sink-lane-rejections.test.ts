import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetterLog, DeadLetterRecord } from '../../src/deliver/dead-letter-file.js';
import { delivered, rejected, type SendOutcome } from '../../src/sink/sink.js';
import type { Batch } from '../../src/types.js';
import { change, makeLane, ScriptedSink, untilAborted } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

class RecordingDeadLetters implements DeadLetterLog {
  readonly records: DeadLetterRecord[] = [];
  record(record: DeadLetterRecord): void {
    this.records.push(record);
  }
  stats(): { written: number; discarded: number } {
    return { written: this.records.length, discarded: 0 };
  }
  settled(): Promise<void> {
    return Promise.resolve();
  }
}

const names = (batch: Batch): string[] => batch.items.map((c) => c.name);

/** Refuses (400) any batch holding an object whose name is in `bad`. */
function picky(bad: Set<string>): ScriptedSink {
  return new ScriptedSink('picky', ({ batch }) =>
    batch.items.some((c) => bad.has(c.name)) ? rejected(new Error('POST http://receiver/ answered 400'), { code: 400 }) : delivered(),
  );
}

describe('SinkLane: a refused batch is bisected, the rest delivered', () => {
  it('delivers every change but the one the sink refuses on its own; that one is counted, logged by key and dead-lettered', async () => {
    const sink = picky(new Set(['bad']));
    const deadLetter = new RecordingDeadLetters();
    const { lane, cache, rec } = makeLane(sink, { emitIntervalMs: 0, deadLetter });
    for (const name of ['a0', 'a1', 'a2', 'a3', 'a4', 'bad', 'a6', 'a7', 'a8', 'a9']) lane.offer(change('add', name, 'secret-value'));
    await vi.advanceTimersByTimeAsync(100);

    expect(rec.emitted.flatMap((e) => e.items).sort()).toEqual(
      ['a0', 'a1', 'a2', 'a3', 'a4', 'a6', 'a7', 'a8', 'a9'].map((n) => `add:${n}@"secret-value"`),
    );
    expect(cache.get('configmaps|ns/bad')).toBeUndefined();
    expect(cache.size).toBe(9);
    // log2(10) levels: a handful of extra requests, never one per object
    expect(sink.calls.length).toBeLessThanOrEqual(8);
    expect(lane.stats()).toMatchObject({ rejected: 1, owed: 1, delivered: 9, queued: 0, inFlight: 0, dropped: {} });
    expect(rec.errors.map((e) => e.code)).toEqual(['WP_ERR_SINK_REJECTED']);
    expect(rec.errors[0]?.message).toContain('configmaps|ns/bad');
    expect(rec.errors[0]?.message).toContain('400');
    expect(rec.errors[0]?.message).not.toContain('secret-value');
    expect(deadLetter.records).toEqual([
      {
        time: expect.stringMatching(/^1970-01-01T00:00:00\.\d{3}Z$/) as string,
        endpoint: 'picky',
        key: 'configmaps|ns/bad',
        resource: 'configmaps',
        namespace: 'ns',
        name: 'bad',
        uid: 'u-bad',
        event: 'add',
        kind: 'content',
        code: 400,
        reason: 'POST http://receiver/ answered 400',
      },
    ]);
    expect(JSON.stringify(deadLetter.records)).not.toContain('secret-value');
  });

  it('never splits one object\'s changes: a delete of the old incarnation and the new add stay together and in order', async () => {
    const bad = new Set<string>();
    const sink = picky(bad);
    const { lane, rec } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'x', 1, 'uid-1'));
    await vi.advanceTimersByTimeAsync(0);
    bad.add('x');
    lane.offer(change('add', 'a'));
    lane.offer(change('delete', 'x', 1, 'uid-1'));
    lane.offer(change('add', 'x', 2, 'uid-2'));
    lane.offer(change('add', 'b'));
    await vi.advanceTimersByTimeAsync(100);
    const withX = sink.calls.slice(1).map((call) => call.batch.items.filter((c) => c.name === 'x').map((c) => `${c.event}:${c.uid}`));
    for (const xs of withX) if (xs.length > 0) expect(xs).toEqual(['delete:uid-1', 'add:uid-2']);
    expect(rec.emitted.flatMap((e) => e.items).sort()).toEqual(['add:a@1', 'add:b@1', 'add:x@1']);
    expect(lane.stats()).toMatchObject({ owed: 2, rejected: 2 });
  });

  it('splits a batch refused as too large until the parts fit, then cuts smaller batches from the start', async () => {
    const limit = 2500;
    const sizes: { bytes: number; status: string }[] = [];
    const sink = new ScriptedSink('nginx', ({ batch }) => {
      const outcome: SendOutcome = batch.bytes > limit ? rejected(new Error('answered 413'), { kind: 'too-large', code: 413 }) : delivered();
      sizes.push({ bytes: batch.bytes, status: outcome.status });
      return outcome;
    });
    const deadLetter = new RecordingDeadLetters();
    const { lane, cache, rec } = makeLane(sink, { emitIntervalMs: 0, maxBytes: 1 << 20, deadLetter });
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) lane.offer(change('add', `o${i}`, big));
    await vi.advanceTimersByTimeAsync(100);
    expect(cache.size).toBe(10);
    expect(lane.stats()).toMatchObject({ rejected: 0, owed: 0, delivered: 10 });
    expect(deadLetter.records).toEqual([]);
    expect(rec.errors).toEqual([]);
    const refusedBefore = sizes.filter((s) => s.status === 'rejected').length;
    expect(refusedBefore).toBeGreaterThan(0);

    // the lane learned: a second burst goes without a single refusal
    for (let i = 0; i < 10; i++) lane.offer(change('update', `o${i}`, `${big}!`));
    await vi.advanceTimersByTimeAsync(100);
    expect(sizes.filter((s) => s.status === 'rejected').length).toBe(refusedBefore);
    expect(lane.stats().delivered).toBe(20);
  });

  it('keeps a change owed that is too large even alone', async () => {
    const sink = new ScriptedSink('nginx', ({ batch }) =>
      batch.items.some((c) => c.name === 'huge') ? rejected(new Error('answered 413'), { kind: 'too-large', code: 413 }) : delivered(),
    );
    const deadLetter = new RecordingDeadLetters();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deadLetter });
    lane.offer(change('add', 'a'));
    lane.offer(change('add', 'huge'));
    await vi.advanceTimersByTimeAsync(100);
    expect(lane.stats()).toMatchObject({ delivered: 1, owed: 1, rejected: 1 });
    expect(deadLetter.records.map((r) => [r.name, r.kind, r.code])).toEqual([['huge', 'too-large', 413]]);
  });

  it('does not bisect when the endpoint refuses everything (a redirect): one request, every change owed', async () => {
    let fixed = false;
    const sink = new ScriptedSink('moved', () =>
      fixed ? delivered() : rejected(new Error('answered 302 (redirects are not followed)'), { kind: 'endpoint', code: 302 }),
    );
    const deadLetter = new RecordingDeadLetters();
    const { lane, cache, rec } = makeLane(sink, { emitIntervalMs: 0, rejectedRetryMs: 60_000, deadLetter });
    for (let i = 0; i < 10; i++) lane.offer(change('add', `o${i}`));
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.calls).toHaveLength(1);
    expect(lane.stats()).toMatchObject({ owed: 10, rejected: 10, delivered: 0 });
    expect(deadLetter.records).toHaveLength(10);
    expect(rec.errors).toHaveLength(1);

    fixed = true;
    await vi.advanceTimersByTimeAsync(59_000);
    expect(sink.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls).toHaveLength(2);
    expect(cache.size).toBe(10);
    expect(lane.stats()).toMatchObject({ owed: 0, delivered: 10 });
  });
});

describe('SinkLane: refused changes stay owed', () => {
  it('tries an owed change again on the slow schedule, without any new change', async () => {
    const bad = new Set(['bad']);
    const sink = picky(bad);
    const { lane, cache } = makeLane(sink, { emitIntervalMs: 1000, rejectedRetryMs: 300_000 });
    lane.offer(change('add', 'bad'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.stats().owed).toBe(1);
    bad.clear(); // the receiver is fixed
    await vi.advanceTimersByTimeAsync(298_000);
    expect(sink.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls.map((c) => [c.at, names(c.batch)])).toEqual([
      [0, ['bad']],
      [300_000, ['bad']],
    ]);
    expect(cache.get('configmaps|ns/bad')).toBeDefined();
    expect(lane.stats().owed).toBe(0);
  });

  it('keeps trying every interval while the sink still refuses, and dead-letters each refusal', async () => {
    const sink = picky(new Set(['bad']));
    const deadLetter = new RecordingDeadLetters();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, rejectedRetryMs: 10_000, deadLetter });
    lane.offer(change('add', 'bad'));
    await vi.advanceTimersByTimeAsync(35_000);
    expect(sink.calls.map((c) => c.at)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(deadLetter.records).toHaveLength(4);
    expect(lane.stats()).toMatchObject({ owed: 1, rejected: 4 });
  });

  it('sends an owed change with its object\'s next change, as one up-to-date change', async () => {
    const bad = new Set(['bad']);
    const sink = picky(bad);
    const { lane, rec } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'bad', 1));
    await vi.advanceTimersByTimeAsync(0);
    bad.clear();
    lane.offer(change('update', 'bad', 2));
    await vi.advanceTimersByTimeAsync(0);
    // the receiver never got the add: the update goes as the add it still owes
    expect(rec.emitted).toEqual([{ items: ['add:bad@2'], attempts: 1 }]);
    expect(lane.stats().owed).toBe(0);
  });

  it('forgets an owed add when the object is deleted (the sink never had it)', async () => {
    const sink = picky(new Set(['bad']));
    const { lane } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'bad'));
    await vi.advanceTimersByTimeAsync(0);
    lane.offer(change('delete', 'bad'));
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(sink.calls).toHaveLength(1);
    expect(lane.stats()).toMatchObject({ owed: 0, dropped: { coalesced: 2 } });
  });

  it('folds a change made while the refused batch was in flight into the next batch', async () => {
    const box: { lane?: ReturnType<typeof makeLane>['lane'] } = {};
    const sink = new ScriptedSink('picky', ({ batch }) => {
      if (batch.items.some((c) => (c.object['data'] as { value: number }).value === 1)) {
        box.lane?.offer(change('update', 'x', 2)); // arrives while the refused batch is out
        return rejected(new Error('answered 422'), { code: 422 });
      }
      return delivered();
    });
    const made = makeLane(sink, { emitIntervalMs: 0 });
    const lane = made.lane;
    box.lane = lane;
    lane.offer(change('add', 'x', 1));
    await vi.advanceTimersByTimeAsync(10);
    expect(made.rec.emitted).toEqual([{ items: ['add:x@2'], attempts: 1 }]);
    expect(lane.stats()).toMatchObject({ owed: 0, rejected: 1 });
  });

  it('reports the delete of an object whose owed update the sink refused, with the last state', async () => {
    const bad = new Set<string>();
    const sink = picky(bad);
    const { lane, rec } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'x', 1));
    await vi.advanceTimersByTimeAsync(0);
    bad.add('x');
    lane.offer(change('update', 'x', 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(lane.stats().owed).toBe(1);
    bad.clear();
    expect(lane.reconcile('configmaps', new Set(), 'relist')).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.emitted.map((e) => e.items)).toEqual([['add:x@1'], ['delete:x@2']]);
    expect(lane.stats().owed).toBe(0);
  });

  it('counts owed changes left at close as dropped for shutdown (the next start re-derives them)', async () => {
    const sink = picky(new Set(['bad']));
    const { lane, rec } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'bad'));
    await vi.advanceTimersByTimeAsync(0);
    await lane.close();
    expect(rec.drops).toEqual([{ reason: 'shutdown', items: ['add:bad@1'] }]);
    expect(lane.stats().owed).toBe(0);
  });

  it('forgets owed changes when going standby (the replay on activation re-creates them)', async () => {
    const sink = picky(new Set(['bad']));
    const { lane } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(change('add', 'bad'));
    await vi.advanceTimersByTimeAsync(0);
    lane.setActive(false);
    expect(lane.stats().owed).toBe(0);
  });
});

describe('SinkLane attempt timeout', () => {
  it('honours a sink timeout longer than attemptTimeoutMs', async () => {
    const sink = Object.assign(new ScriptedSink('slow', ({ ctx }) => untilAborted(ctx.signal)), { timeoutMs: 30_000 });
    const { lane } = makeLane(sink, { attemptTimeoutMs: 10_000 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(30_999);
    expect(sink.calls[0]?.ctx.signal.aborted).toBe(false);
    expect(sink.calls[0]?.ctx.deadline).toBe(31_000);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.calls[0]?.ctx.signal.aborted).toBe(true);
  });
});

describe('SinkLane flush keeping the interval', () => {
  it('drains one batch per emitInterval when asked to keep it, back to back otherwise', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 1000, maxObjects: 1 });
    lane.offer(change('add', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    for (const name of ['b', 'c', 'd']) lane.offer(change('add', name));
    const paced = lane.flush(undefined, { keepInterval: true });
    await vi.advanceTimersByTimeAsync(3000);
    await paced;
    expect(sink.calls.map((c) => c.at)).toEqual([0, 1000, 2000, 3000]);

    for (const name of ['e', 'f', 'g']) lane.offer(change('add', name));
    const fast = lane.flush();
    await vi.advanceTimersByTimeAsync(0);
    await fast;
    expect(sink.calls.map((c) => c.at)).toEqual([0, 1000, 2000, 3000, 3000, 3000, 3000]);
  });
});
