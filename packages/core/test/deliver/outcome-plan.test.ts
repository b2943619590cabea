import { describe, expect, it } from 'vitest';
import { planOutcome } from '../../src/deliver/outcome-plan.js';
import { delivered, partial, rejected, retryable } from '../../src/sink/sink.js';
import { brief, change } from './fixtures.js';

const items = ['a', 'b', 'c', 'd'].map((n) => change('add', n));
const boom = new Error('boom');

describe('planOutcome', () => {
  it('acknowledges a delivered batch', () => {
    expect(planOutcome(delivered(), items)).toEqual({ step: 'ack' });
  });

  it('retries a retryable one, not before the time the sink asked for', () => {
    expect(planOutcome(retryable(boom), items)).toEqual({ step: 'retry', error: boom, retryAfterMs: undefined });
    expect(planOutcome(retryable(boom, { afterMs: 2500 }), items)).toEqual({ step: 'retry', error: boom, retryAfterMs: 2500 });
  });

  it('bisects a batch refused for its content, and lowers the batch size only after "too large"', () => {
    const content = planOutcome(rejected(boom, { code: 400 }), items);
    expect(content).toMatchObject({ step: 'split', lowerMaxBytes: false, kind: 'content', code: 400, error: boom });
    const tooLarge = planOutcome(rejected(boom, { kind: 'too-large', code: 413 }), items);
    expect(tooLarge).toMatchObject({ step: 'split', lowerMaxBytes: true, kind: 'too-large', code: 413 });
    if (tooLarge.step !== 'split') throw new Error('not split');
    expect(tooLarge.halves.map(brief)).toEqual([
      ['add:a@1', 'add:b@1'],
      ['add:c@1', 'add:d@1'],
    ]);
  });

  it('owes what cannot be split, and everything a whole endpoint refuses', () => {
    expect(planOutcome(rejected(boom), items.slice(0, 1))).toEqual({ step: 'owe', kind: 'content', code: undefined, error: boom });
    expect(planOutcome(rejected(boom, { kind: 'endpoint', code: 403 }), items)).toEqual({ step: 'owe', kind: 'endpoint', code: 403, error: boom });
  });

  it('acknowledges the part of a partial outcome the sink took and retries the rest, ignoring indexes outside the batch', () => {
    const plan = planOutcome(partial([1, 3, 7, -1, 1.5], boom), items);
    if (plan.step !== 'ack-part') throw new Error('not ack-part');
    expect(brief(plan.done)).toEqual(['add:a@1', 'add:c@1']);
    expect(brief(plan.again)).toEqual(['add:b@1', 'add:d@1']);
    expect(plan.error).toBe(boom);
  });
});
