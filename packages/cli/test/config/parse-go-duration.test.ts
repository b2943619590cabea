import { describe, expect, it } from 'vitest';

import { parseGoDuration } from '../../src/config/parse-go-duration.js';

const ns = 1n;
const us = 1_000n * ns;
const ms = 1_000n * us;
const s = 1_000n * ms;
const m = 60n * s;
const h = 60n * m;
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

// Valid inputs: Go's own table (src/time/time_test.go, parseDurationTests), plus `d`.
const valid: readonly (readonly [string, bigint])[] = [
  ['0', 0n],
  ['5s', 5n * s],
  ['30s', 30n * s],
  ['1478s', 1478n * s],
  ['-5s', -5n * s],
  ['+5s', 5n * s],
  ['-0', 0n],
  ['+0', 0n],
  ['5.0s', 5n * s],
  ['5.6s', 5n * s + 600n * ms],
  ['5.s', 5n * s],
  ['.5s', 500n * ms],
  ['1.0s', s],
  ['1.00s', s],
  ['1.004s', s + 4n * ms],
  ['1.0040s', s + 4n * ms],
  ['100.00100s', 100n * s + ms],
  ['10ns', 10n * ns],
  ['11us', 11n * us],
  ['12\u00b5s', 12n * us],
  ['12\u03bcs', 12n * us],
  ['13ms', 13n * ms],
  ['14s', 14n * s],
  ['15m', 15n * m],
  ['16h', 16n * h],
  ['3h30m', 3n * h + 30n * m],
  ['10.5s4m', 4n * m + 10n * s + 500n * ms],
  ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
  ['1h2m3s4ms5us6ns', h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
  ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
  ['52763797000ns', 52763797000n],
  ['0.3333333333333333333h', 20n * m],
  ['9007199254740993ns', (1n << 53n) + 1n],
  ['9223372036854775807ns', MAX],
  ['9223372036854775.807us', MAX],
  ['9223372036s854ms775us807ns', MAX],
  ['-9223372036854775808ns', MIN],
  ['-9223372036854775.808us', MIN],
  ['-9223372036s854ms775us808ns', MIN],
  ['-2562047h47m16.854775808s', MIN],
  ['0.100000000000000000000h', 6n * m],
  ['0.830103483285477580700h', 49n * m + 48n * s + 372539827n * ns],
  // The one extension: days.
  ['1d', 24n * h],
  ['1.5d', 36n * h],
  ['7d12h', 7n * 24n * h + 12n * h],
  // The original example's values.
  ['14400m', 14400n * m],
  ['500h', 500n * h],
];

const invalid: readonly (readonly [string, string])[] = [
  ['', 'invalid duration ""'],
  ['3', 'missing unit in duration "3"'],
  ['30', 'missing unit in duration "30"'],
  ['00', 'missing unit in duration "00"'],
  ['-', 'invalid duration "-"'],
  ['s', 'invalid duration "s"'],
  ['.', 'invalid duration "."'],
  ['-.', 'invalid duration "-."'],
  ['.s', 'invalid duration ".s"'],
  ['+.s', 'invalid duration "+.s"'],
  ['1 s', 'unknown unit " s" in duration "1 s"'],
  ['5 minutes', 'unknown unit " minutes" in duration "5 minutes"'],
  ['1hm', 'unknown unit "hm" in duration "1hm"'],
  ['1S', 'unknown unit "S" in duration "1S"'],
  ['1w', 'unknown unit "w" in duration "1w"'],
  ['1h-30m', 'unknown unit "h-" in duration "1h-30m"'],
  ['--1s', 'invalid duration "--1s"'],
  ['9223372036854775808ns', 'invalid duration "9223372036854775808ns"'],
  ['9223372036854775.808us', 'invalid duration "9223372036854775.808us"'],
  ['9223372036854ms775us808ns', 'invalid duration "9223372036854ms775us808ns"'],
  ['-9223372036854775809ns', 'invalid duration "-9223372036854775809ns"'],
  ['106752d', 'invalid duration "106752d"'],
];

describe('parseGoDuration', () => {
  it.each(valid)('parses %j', (input, expected) => {
    const result = parseGoDuration(input);
    expect(result).toEqual({ ok: true, nanoseconds: expected, milliseconds: Number(expected) / 1e6 });
  });

  it.each(invalid)('rejects %j', (input, message) => {
    expect(parseGoDuration(input)).toEqual({ ok: false, message });
  });

  it('gives milliseconds, fractional below one millisecond', () => {
    const cases: readonly (readonly [string, number])[] = [
      ['1h30m', 5_400_000],
      ['1.5h', 5_400_000],
      ['300ms', 300],
      ['300us', 0.3],
      ['2d', 172_800_000],
      ['-1s', -1000],
    ];
    for (const [input, expected] of cases) {
      const result = parseGoDuration(input);
      expect(result.ok && result.milliseconds).toBe(expected);
    }
  });
});
