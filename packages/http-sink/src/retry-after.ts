/**
 * Parses a `Retry-After` header value: delay-seconds (`120`) or an HTTP date. Returns the wait in milliseconds
 * (0 for a date in the past), or `undefined` when absent or unparseable.
 *
 * @param now - current time, epoch ms; injectable for tests.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only dates that look like dates: Date.parse accepts odd strings ("1") that are not HTTP dates.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
