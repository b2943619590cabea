import { describe, expect, it } from 'vitest';
import { contractBatch, contractChange, describeSinkContract, MemorySink } from '../../src/testing/index.js';

describeSinkContract('MemorySink', () => new MemorySink(), {
  verifyDelivered: (sink, batch) => {
    expect((sink as MemorySink).batches.at(-1)).toBe(batch);
  },
});

describe('MemorySink', () => {
  it('replays deliveries into a view, keeping a re-created incarnation', async () => {
    const sink = new MemorySink();
    const ctx = { signal: new AbortController().signal, attempt: 1, deadline: 0, logger: undefined as never };
    await sink.send(contractBatch([contractChange('add', 'a', 1, 'u1'), contractChange('add', 'b')]), ctx);
    await sink.send(contractBatch([contractChange('add', 'a', 2, 'u2'), contractChange('delete', 'a', 1, 'u1'), contractChange('delete', 'b')]), ctx);
    expect([...sink.view().entries()].map(([k, o]) => [k, (o['data'] as { value: unknown }).value])).toEqual([['configmaps|contract/a', 2]]);
  });

  it('records only what was delivered and wakes waiters', async () => {
    let fail = true;
    const sink = new MemorySink({
      behaviour: () => (fail ? { status: 'retryable', error: new Error('down') } : { status: 'delivered' }),
    });
    const ctx = { signal: new AbortController().signal, attempt: 1, deadline: 0, logger: undefined as never };
    const waiting = sink.waitFor((s) => s.changes.length === 1, { timeoutMs: 1000, what: 'one change' });
    await sink.send(contractBatch([contractChange('add', 'a')]), ctx);
    expect(sink.changes).toHaveLength(0);
    fail = false;
    await sink.send(contractBatch([contractChange('add', 'a')]), ctx);
    await waiting;
    expect(sink.attempts).toBe(2);
    await expect(sink.waitFor(() => false, { timeoutMs: 10, what: 'never' })).rejects.toThrow(/timed out waiting for never/);
  });
});
