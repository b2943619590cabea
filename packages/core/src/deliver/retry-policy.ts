/** How failed sends are retried. All durations in milliseconds. */
export interface RetryPolicy {
  /** Ceiling of the first backoff. Default: 500 ms. */
  readonly initialMs: number;
  /** Largest backoff ceiling; the exponential growth stops here. Default: 30 000 ms. */
  readonly maxMs: number;
  /** A sink's `retryAfterMs` is honoured up to this. Default: 300 000 ms (5 minutes). */
  readonly maxRetryAfterMs: number;
}

/**
 * Delay before retry number `failures` (1 after the first failure): exponential backoff with full jitter,
 * `random() * min(maxMs, initialMs * 2^(failures-1))`, so many proxies hitting one recovering receiver spread
 * out instead of retrying in lock-step. A `retryAfterMs` from the sink is a floor (capped by
 * `maxRetryAfterMs`): the receiver said when it can take more.
 */
export function backoffDelay(
  failures: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 52));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}
