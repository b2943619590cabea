import type { Change } from '../types.js';

/**
 * Splits a refused batch in two for bisection, at the key boundary nearest its middle, so one object's changes
 * (a delete of an old incarnation and the add of the new one) always travel, succeed or stay owed together and
 * keep their order. Returns `undefined` when the batch cannot be split: a single change, or a single object's
 * chain, which is then what the receiver refuses.
 */
export function splitForBisection(items: readonly Change[]): readonly [readonly Change[], readonly Change[]] | undefined {
  if (items.length < 2) return undefined;
  const middle = items.length / 2;
  let best: number | undefined;
  // Boundaries are the indexes i where items[i - 1] and items[i] belong to different objects.
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1]?.key === items[i]?.key) continue;
    if (best === undefined || Math.abs(i - middle) < Math.abs(best - middle)) best = i;
  }
  if (best === undefined) return undefined;
  return [items.slice(0, best), items.slice(best)];
}
