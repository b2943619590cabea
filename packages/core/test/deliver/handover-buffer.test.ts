import { describe, expect, it } from 'vitest';
import { HANDOVER_WINDOW_MS, HandoverBuffer } from '../../src/deliver/handover-buffer.js';
import type { Change } from '../../src/types.js';
import { change } from './fixtures.js';

const at = (c: Change, observedAt: number): Change => Object.freeze({ ...c, observedAt });

describe('HandoverBuffer', () => {
  it('keeps one delete per incarnation, the newest last, and hands them over once', () => {
    let now = 0;
    const buffer = new HandoverBuffer({ now: () => now });
    buffer.remember(at(change('delete', 'a'), 0));
    buffer.remember(at(change('delete', 'b'), 1));
    buffer.remember(at(change('delete', 'a', 2), 2));
    buffer.remember(at(change('delete', 'a', 3, 'other-uid'), 3));
    now = 10;
    expect(buffer.take().map((c) => `${c.name}:${c.uid}@${c.observedAt}`)).toEqual(['b:u-b@1', 'a:u-a@2', 'a:other-uid@3']);
    expect(buffer.take()).toEqual([]);
  });

  it('forgets deletes older than its window (default HANDOVER_WINDOW_MS)', () => {
    let now = 0;
    const buffer = new HandoverBuffer({ now: () => now });
    buffer.remember(at(change('delete', 'old'), 0));
    now = 5_000;
    buffer.remember(at(change('delete', 'new'), 5_000));
    now = HANDOVER_WINDOW_MS + 1;
    expect(buffer.take().map((c) => c.name)).toEqual(['new']);
    const short = new HandoverBuffer({ windowMs: 100, now: () => now });
    short.remember(at(change('delete', 'x'), now - 101));
    expect(short.take()).toEqual([]);
  });
});
