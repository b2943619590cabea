import { describe, expect, it } from 'vitest';
import { encodeCanonicalJson, quoteJsonString } from '../../src/payload/index.js';
import { canonicalJson, fingerprintOf } from '../../src/payload/canonical-json.js';

describe('quoteJsonString', () => {
  it.each([
    ['plain', '"plain"'],
    ['', '""'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\n\r\t', '"\\n\\r\\t"'],
    // Go 1.13 (the original's toolchain) had no short escapes for backspace and form feed.
    ['\b\f', '"\\u0008\\u000c"'],
    ['\u0000\u001f\u007f', '"\\u0000\\u001f\u007f"'],
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['é😀', '"é😀"'],
    ['a\ud800b', '"a\ufffdb"'],
    ['\udc00\ud83d', '"\ufffd\ufffd"'],
    ['\ud83d\ude00\ud83d', '"😀\ufffd"'],
  ])('quotes %j as Go does', (input, expected) => {
    expect(quoteJsonString(input)).toBe(expected);
  });
});

describe('encodeCanonicalJson', () => {
  it('sorts keys bytewise at every depth, integer-like keys included', () => {
    expect(encodeCanonicalJson({ b: { d: 1, c: [{ z: 1, y: 2 }] }, a: null, 10: 'x', 2: 'y', B: 0 })).toBe(
      '{"10":"x","2":"y","B":0,"a":null,"b":{"c":[{"y":2,"z":1}],"d":1}}',
    );
  });

  it('orders non-BMP keys by code point, after U+E000..U+FFFF', () => {
    expect(encodeCanonicalJson({ '😀': 1, '\uffff': 2, '\ue000': 3 })).toBe('{"\ue000":3,"\uffff":2,"😀":1}');
  });

  it('sorts large maps (the non-insertion-sort path) the same way', () => {
    const keys = Array.from({ length: 60 }, (_, i) => `k${(i * 37) % 60}`).concat(['😀', '\uffff', 'A']);
    const value = Object.fromEntries(keys.map((key) => [key, 1]));
    const expected = [...keys].sort().filter((key) => key !== '😀');
    expected.push('😀');
    // Read the keys back in text order (JSON.parse would reorder them).
    const textOrder = [...encodeCanonicalJson(value).matchAll(/"([^"]*)":/g)].map((m) => m[1]);
    expect(textOrder).toEqual(expected);
  });

  it('spells numbers as Go does', () => {
    expect(encodeCanonicalJson([1e21, 1e20, 1.5e-7, 1e-6, -0.5, 2 ** 53 + 2, Number.NaN, Infinity])).toBe(
      '[1e+21,100000000000000000000,1.5e-7,0.000001,-0.5,9007199254740994,null,null]',
    );
  });

  it('leaves out undefined and function members, writes undefined array items as null', () => {
    expect(encodeCanonicalJson({ a: undefined, b: () => 1, c: [undefined] })).toBe('{"c":[null]}');
    expect(encodeCanonicalJson(undefined)).toBe('null');
  });

  it('matches JSON.stringify on data without special characters, apart from key order', () => {
    const value = { spec: { replicas: 3, paused: false, template: { labels: { app: 'x' } } }, list: [1, 'two', null] };
    expect(JSON.parse(encodeCanonicalJson(value))).toEqual(value);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: null }], c: 'é' } })).toBe(
      '{"a":{"c":"é","d":[3,{"x":null,"z":1}]},"b":1}',
    );
  });

  it('gives equal fingerprints for equal data in any key order, different ones otherwise', () => {
    expect(fingerprintOf({ a: 1, b: [1, 2] })).toBe(fingerprintOf({ b: [1, 2], a: 1 }));
    expect(fingerprintOf({ a: 1, b: [1, 2] })).not.toBe(fingerprintOf({ a: 1, b: [2, 1] }));
    expect(fingerprintOf({})).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });
});
