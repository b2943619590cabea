import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/deliver/retry-policy.js';

const policy = { initialMs: 500, maxMs: 30_000, maxRetryAfterMs: 300_000 };

describe('backoffDelay', () => {
  it('grows exponentially up to maxMs (random = 1 shows the ceiling)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20, 2000].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([
      499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999,
    ]);
  });

  it('uses full jitter: anywhere from 0 to the ceiling', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(1000);
  });

  it('treats retryAfterMs as a floor, capped by maxRetryAfterMs', () => {
    expect(backoffDelay(1, policy, () => 0, 10_000)).toBe(10_000);
    expect(backoffDelay(6, policy, () => 0.9, 1_000)).toBe(14_400);
    expect(backoffDelay(1, policy, () => 0, 3_600_000)).toBe(300_000);
    expect(backoffDelay(1, policy, () => 0, -5)).toBe(0);
  });
});
