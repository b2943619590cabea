import { describe, expect, it } from 'vitest';
import { splitForBisection } from '../../src/deliver/bisect-plan.js';
import { change } from './fixtures.js';

const names = (items: readonly { name: string; uid: string }[]): string[] => items.map((c) => `${c.name}:${c.uid}`);

describe('splitForBisection', () => {
  it('halves a batch of distinct objects', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((n) => change('add', n));
    const [left, right] = splitForBisection(items) ?? [[], []];
    expect([left.length, right.length]).toEqual([2, 3]);
    expect([...left, ...right]).toEqual(items);
  });

  it('cuts at the key boundary nearest the middle, never inside one object\'s chain', () => {
    const items = [change('add', 'a'), change('delete', 'x', 1, 'u1'), change('add', 'x', 2, 'u2'), change('add', 'b')];
    const halves = splitForBisection(items);
    expect(halves?.map(names)).toEqual([['a:u-a'], ['x:u1', 'x:u2', 'b:u-b']]);
  });

  it('cannot split one change, nor one object\'s chain', () => {
    expect(splitForBisection([change('add', 'a')])).toBeUndefined();
    expect(splitForBisection([change('delete', 'x', 1, 'u1'), change('add', 'x', 2, 'u2')])).toBeUndefined();
  });
});
