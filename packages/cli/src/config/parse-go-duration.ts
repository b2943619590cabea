/**
 * Go's `time.ParseDuration`, exactly, plus a `d` (24 h) unit: the original Watch-Proxy parsed its duration keys
 * (`emitCacheDuration`, `forceReuploadDuration`, `delayAddEventDuration`) with it, so existing configs must
 * mean the same thing here.
 */

/** The outcome of {@link parseGoDuration}: never throws, so callers can turn a failure into a config issue. */
export type GoDurationResult =
  | {
      readonly ok: true;
      /** The duration in nanoseconds, exact (Go's `time.Duration` is an int64 of nanoseconds). */
      readonly nanoseconds: bigint;
      /** The same duration in milliseconds; fractional below 1 ms (`300us` is `0.3`). */
      readonly milliseconds: number;
    }
  | {
      readonly ok: false;
      /** Go's wording, e.g. `missing unit in duration "30"`. Never mentions anything but the input. */
      readonly message: string;
    };

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 MICRO SIGN
  ['\u03bcs', 1_000n], // U+03BC GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
  ['d', 86_400_000_000_000n], // not in Go: the one extension, because "7d" is what people write for a week
]);

// Go's time.Duration is an int64; the magnitude limit is checked against 1<<63 while accumulating (as Go does).
const LIMIT = 1n << 63n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Parses a Go duration string such as `300ms`, `-1.5h` or `2h45m`, or `d` for days (`7d`).
 *
 * The grammar is Go's `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, with units `ns`, `us` (also `µs`/`μs`), `ms`, `s`,
 * `m`, `h` and `d`. `0` (optionally signed) is the only number allowed without a unit. Values are limited to
 * what fits Go's int64 nanoseconds (about 292 years); fractions are rounded towards zero to the nanosecond,
 * using the same float arithmetic as Go.
 */
export function parseGoDuration(input: string): GoDurationResult {
  const quoted = JSON.stringify(input);
  const invalid: GoDurationResult = { ok: false, message: `invalid duration ${quoted}` };
  let s = input;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanoseconds: 0n, milliseconds: 0 };
  if (s === '') return invalid;

  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid;

    // Integer part: Go fails on overflow here rather than saturating.
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > LIMIT) return invalid;
      i++;
    }
    const hasWhole = i > 0;
    s = s.slice(i);

    // Fraction part: Go keeps digits until they would overflow, then ignores the rest (precision, not error).
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(s[j])) {
        if (!overflow) {
          const next = fraction * 10n + BigInt(s.charCodeAt(j) - 48);
          if (fraction > (LIMIT - 1n) / 10n || next > LIMIT) {
            overflow = true;
          } else {
            fraction = next;
            scale *= 10;
          }
        }
        j++;
      }
      hasFraction = j > 0;
      s = s.slice(j);
    }
    if (!hasWhole && !hasFraction) return invalid;

    // Unit: everything up to the next digit or dot, as in Go (so "1 s" has the unit " s").
    let k = 0;
    while (k < s.length && !(s[k] === '.' || isDigit(s[k]))) k++;
    if (k === 0) return { ok: false, message: `missing unit in duration ${quoted}` };
    const unitText = s.slice(0, k);
    s = s.slice(k);
    const unit = NS_PER_UNIT.get(unitText);
    if (unit === undefined) {
      return { ok: false, message: `unknown unit ${JSON.stringify(unitText)} in duration ${quoted}` };
    }

    if (whole > LIMIT / unit) return invalid;
    let value = whole * unit;
    if (fraction > 0n) {
      // float64 on purpose: it is what Go does, so `1.1h` gives the same nanoseconds in both.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > LIMIT) return invalid;
    }
    total += value;
    if (total > LIMIT) return invalid;
  }
  if (!negative && total > LIMIT - 1n) return invalid;
  const nanoseconds = negative ? -total : total;
  return { ok: true, nanoseconds, milliseconds: Number(nanoseconds) / 1e6 };
}
