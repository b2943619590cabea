/**
 * `cancelAddDelete: false` (the CLI's `originalContent`): an object created and deleted before it was sent reaches
 * the sink as its add then its delete, as the original sent it, on the watch path and on a relist alike.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { CoalescingQueue } from '../src/deliver/coalescing-queue.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';
import { brief, change } from './deliver/fixtures.js';

const cm = (name: string): KubeObject => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, data: { value: name } });

afterEach(() => {
  vi.useRealTimers();
});

describe('CoalescingQueue cancelAddDelete', () => {
  it('false: an add then its delete are both kept, in order; nothing vanishes', () => {
    const queue = new CoalescingQueue({ cancelAddDelete: false });
    expect(queue.offer(change('add', 'a', 1))).toEqual([]);
    expect(queue.offer(change('update', 'a', 2))).toEqual([]);
    expect(queue.offer(change('delete', 'a', 2))).toEqual([]);
    expect(queue.size).toBe(2);
    expect(brief(queue.take(100, Infinity).items)).toEqual(['add:a@2', 'delete:a@2']);
  });

  it('default (true): they cancel out', () => {
    const queue = new CoalescingQueue();
    queue.offer(change('add', 'a', 1));
    expect(queue.offer(change('delete', 'a', 1))).toHaveLength(2);
    expect(queue.size).toBe(0);
  });
});

describe('WatchProxy cancelAddDelete', () => {
  /** One delivered object, then `x` created and deleted inside the same 1 s interval (before its batch). */
  async function createAndDeleteBeforeSend(cancelAddDelete: boolean | undefined): Promise<{ sink: MemorySink; p: WatchProxy; source: FakeSource }> {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ configmaps: [cm('a')] });
    const sink = new MemorySink();
    const p = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: source.factory, emitIntervalMs: 1000, cancelAddDelete });
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a']);
    source.add('configmaps', cm('x'));
    source.remove('configmaps', cm('x'));
    await vi.advanceTimersByTimeAsync(1000);
    return { sink, p, source };
  }

  it('false: a watch add and delete before the send both reach the sink', async () => {
    const { sink, p } = await createAndDeleteBeforeSend(false);
    expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a', 'add:x', 'delete:x']);
    expect(p.stats().sinks['memory']?.dropped.coalesced).toBeUndefined();
    await p.shutdown();
  });

  it('default: they cancel out, counted as coalesced', async () => {
    const { sink, p } = await createAndDeleteBeforeSend(undefined);
    expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a']);
    expect(p.stats().sinks['memory']?.dropped.coalesced).toBe(2);
    await p.shutdown();
  });

  it('false: a delete found by a relist after a still-queued add follows it', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = new FakeSource({ configmaps: [cm('a')] });
    const sink = new MemorySink();
    const p = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: source.factory, emitIntervalMs: 1000, cancelAddDelete: false });
    await p.start();
    await vi.advanceTimersByTimeAsync(0);
    source.add('configmaps', cm('y'));
    // The delete is missed by the watch; the relist finds y gone while its add is still queued.
    source.silently('configmaps', { remove: cm('y') });
    source.relist('configmaps');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.changes.map((c) => `${c.event}:${c.name}`)).toEqual(['add:a', 'add:y', 'delete:y']);
    await p.shutdown();
  });

  it('rejects a non-boolean', () => {
    expect(() => new WatchProxy({ resources: ['configmaps'], sinks: [new MemorySink()], watchSource: new FakeSource().factory, cancelAddDelete: 'no' as never })).toThrow(
      /options\.cancelAddDelete must be a boolean \(got "no"\)/,
    );
  });
});
