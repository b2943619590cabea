import { describe, expect, it } from 'vitest';
import { CoalescingQueue, estimateBytes } from '../../src/deliver/coalescing-queue.js';
import type { ChangeEvent } from '../../src/types.js';
import { brief, change } from './fixtures.js';

describe('CoalescingQueue merge rules', () => {
  it.each<[string, [ChangeEvent, number][], string[], number]>([
    ['add then update keeps add with the newest state', [['add', 1], ['update', 2]], ['add:a@2'], 0],
    ['update then update keeps the newest', [['update', 1], ['update', 2], ['update', 3]], ['update:a@3'], 0],
    ['update then add (relist) stays an update', [['update', 1], ['add', 2]], ['update:a@2'], 0],
    ['add then delete: both vanish', [['add', 1], ['delete', 1]], [], 2],
    ['update then delete becomes the delete', [['update', 1], ['delete', 2]], ['delete:a@2'], 0],
    ['delete then delete keeps the newer', [['delete', 1], ['delete', 2]], ['delete:a@2'], 0],
  ])('%s', (_label, steps, expected, vanished) => {
    const queue = new CoalescingQueue();
    let gone = 0;
    for (const [event, value] of steps) gone += queue.offer(change(event, 'a', value)).length;
    expect(brief(queue.take(100, Infinity).items)).toEqual(expected);
    expect(gone).toBe(vanished);
    expect(queue.size).toBe(0);
  });

  it('keeps delete-then-recreate as two changes in order, and merges into the newest incarnation', () => {
    const queue = new CoalescingQueue();
    queue.offer(change('update', 'a', 1, 'u1'));
    queue.offer(change('delete', 'a', 1, 'u1'));
    queue.offer(change('add', 'a', 2, 'u2'));
    queue.offer(change('update', 'a', 3, 'u2'));
    expect(queue.size).toBe(2);
    const { items } = queue.take(100, Infinity);
    expect(items.map((c) => `${c.event}:${c.uid}`)).toEqual(['delete:u1', 'add:u2']);
    expect(brief(items)).toEqual(['delete:a@1', 'add:a@3']);
  });

  it('a delete of the new incarnation cancels its pending add but keeps the old delete', () => {
    const queue = new CoalescingQueue();
    queue.offer(change('delete', 'a', 1, 'u1'));
    queue.offer(change('add', 'a', 2, 'u2'));
    expect(queue.offer(change('delete', 'a', 2, 'u2'))).toHaveLength(2);
    expect(queue.take(100, Infinity).items.map((c) => `${c.event}:${c.uid}`)).toEqual(['delete:u1']);
  });

  it('is bounded by objects, not events', () => {
    const queue = new CoalescingQueue();
    for (let i = 0; i < 10_000; i++) queue.offer(change('update', `o${i % 50}`, i));
    expect(queue.size).toBe(50);
  });

  it('takes keys in first-queued order, up to maxItems and maxBytes, never splitting a chain', () => {
    const queue = new CoalescingQueue();
    for (const name of ['a', 'b', 'c', 'd']) queue.offer(change('update', name));
    queue.offer(change('update', 'a', 9)); // keeps a's position
    expect(brief(queue.take(2, Infinity).items)).toEqual(['update:a@9', 'update:b@1']);

    queue.offer(change('delete', 'c', 1, 'u-c'));
    queue.offer(change('add', 'c', 2, 'new'));
    // a chain at the head goes whole when it fits maxItems
    expect(brief(queue.take(2, Infinity).items)).toEqual(['delete:c@1', 'add:c@2']);

    const one = queue.take(10, 1); // a single change larger than maxBytes still goes, alone
    expect(brief(one.items)).toEqual(['update:d@1']);
    expect(one.bytes).toBeGreaterThan(1);
    expect(queue.size).toBe(0);
  });

  it('stops before a chain that would exceed maxItems', () => {
    const queue = new CoalescingQueue();
    queue.offer(change('update', 'a'));
    queue.offer(change('delete', 'b', 1, 'u1'));
    queue.offer(change('add', 'b', 2, 'u2'));
    expect(brief(queue.take(2, Infinity).items)).toEqual(['update:a@1']);
    expect(queue.size).toBe(2);
  });

  it('keeps bytes equal to the estimate of what is pending through every merge, take and removal', () => {
    const queue = new CoalescingQueue();
    const pending = (): number => {
      const all = queue.drain();
      for (const c of all) queue.offer(c);
      return all.reduce((sum, c) => sum + estimateBytes(c), 0);
    };
    queue.offer(change('add', 'a', 'x'));
    queue.offer(change('update', 'a', 'x'.repeat(50))); // replaces, bigger
    queue.offer(change('update', 'b', 1));
    queue.offer(change('delete', 'b', 1)); // replaces
    queue.offer(change('add', 'c', 1));
    queue.offer(change('delete', 'c', 1)); // both vanish
    queue.offer(change('delete', 'd', 1, 'u1'));
    queue.offer(change('add', 'd', 2, 'u2')); // a chain of two
    expect(queue.bytes).toBe(pending());
    expect(queue.size).toBe(4);
    expect(queue.hasFullBatch(5, Infinity)).toBe(false);
    expect(queue.hasFullBatch(4, Infinity)).toBe(true);
    expect(queue.hasFullBatch(100, queue.bytes)).toBe(true);
    expect(queue.hasFullBatch(100, queue.bytes + 1)).toBe(false);
    queue.remove('configmaps|ns/b');
    expect(queue.bytes).toBe(pending());
    queue.take(1, Infinity); // a
    expect(queue.bytes).toBe(pending());
    queue.take(1, Infinity); // splits d's chain
    expect(queue.size).toBe(1);
    expect(queue.bytes).toBe(pending());
    queue.take(10, Infinity);
    expect(queue.bytes).toBe(0);
    queue.offer(change('add', 'e'));
    queue.drain();
    expect(queue.bytes).toBe(0);
  });
});
