import { describe, expect, it } from 'vitest';
import { encodeCanonicalJson, encodeKeySortedJson } from '../../src/payload/canonical-json.js';
import { isIndexKey, randomJson, seededRandom } from './random-json.js';

// A copy with keys inserted in UTF-16 code unit order, as the delta engine's projection builds it; undefined
// when some key is integer-like (V8 would enumerate it first, so the copy could not be in sorted order).
function sortedCopy(value: unknown): { value: unknown } | undefined {
  if (value === null || typeof value !== 'object') return { value };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const copy = sortedCopy(item);
      if (copy === undefined) return undefined;
      out.push(copy.value);
    }
    return { value: out };
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (isIndexKey(key)) return undefined;
    const copy = sortedCopy((value as Record<string, unknown>)[key]);
    if (copy === undefined) return undefined;
    out[key] = copy.value;
  }
  return { value: out };
}

describe('encodeKeySortedJson', () => {
  it('gives the bytes of encodeCanonicalJson for generated key-sorted data', () => {
    const random = seededRandom(7);
    let compared = 0;
    let goEscapes = 0;
    let encoderFallbacks = 0;
    for (let i = 0; i < 20_000; i++) {
      const copy = sortedCopy(randomJson(random));
      if (copy === undefined) continue;
      const expected = encodeCanonicalJson(copy.value);
      expect(encodeKeySortedJson(copy.value)).toBe(expected);
      compared++;
      const native = JSON.stringify(copy.value) as string | undefined;
      if (native !== undefined && native !== expected) {
        if (/[\ud800-\udfff]|\\[bfu]/.test(native)) encoderFallbacks++;
        else goEscapes++;
      }
    }
    // The generator must reach every branch, or the comparison above proves little.
    expect(compared).toBeGreaterThan(5_000);
    expect(goEscapes).toBeGreaterThan(100);
    expect(encoderFallbacks).toBeGreaterThan(100);
  });

  it.each([
    ['Go escapes', { a: '<b>&\u2028\u2029' }, '{"a":"\\u003cb\\u003e\\u0026\\u2028\\u2029"}'],
    ['control characters', { a: '\b\f\n\u0001' }, '{"a":"\\u0008\\u000c\\n\\u0001"}'],
    ['an escaped backslash before b', { a: '\\b' }, '{"a":"\\\\b"}'],
    ['lone surrogates', { a: 'x\ud800', b: '\udc00' }, '{"a":"x\ufffd","b":"\ufffd"}'],
    ['a non-BMP key after U+E000..U+FFFF', { '\ue000': 1, '😀': 2 }, '{"\ue000":1,"😀":2}'],
    ['numbers', [1e21, -0, 1e-7, Number.NaN], '[1e+21,0,1e-7,null]'],
    ['empty containers', { a: {}, b: [], c: [[], {}] }, '{"a":{},"b":[],"c":[[],{}]}'],
    ['a top-level undefined', undefined, 'null'],
  ])('handles %s', (_name, value, expected) => {
    expect(encodeKeySortedJson(value)).toBe(expected);
    expect(encodeCanonicalJson(value)).toBe(expected);
  });
});
