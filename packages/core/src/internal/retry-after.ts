/**
 * Parses a `Retry-After` header value: delay-seconds (`120`) or an HTTP date. Returns the wait in milliseconds
 * (0 for a date in the past), or `undefined` when absent or unparseable. One definition for every HTTP client of
 * watch-proxy: the apiserver transport (kube/) and the HTTP sink.
 *
 * @param value - the header as Node gives it: a string, a list (the first counts), or absent.
 * @param now - current time, epoch ms; injectable for tests. Default: `Date.now()`.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined, now: number = Date.now()): number | undefined {
  const raw = typeof value === 'string' ? value : value?.[0];
  if (raw == null) return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only dates that look like dates: Date.parse accepts odd strings ("1", "-1", "1.5") that are not HTTP dates.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
