import { describe, expect, it } from 'vitest';
import { cloneJson } from './reference-steps.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';

describe('cloneJson', () => {
  it('deep-copies JSON data into mutable, independent plain values', () => {
    const source = deepFreeze({ a: [1, { b: 'x', c: null }, [true]], d: { e: { f: 2 } }, g: '' });
    const copy = cloneJson(source);
    expect(copy).toEqual(source);
    expect(Object.isFrozen(copy)).toBe(false);
    copy.d.e.f = 3;
    (copy.a[1] as { b: string }).b = 'changed';
    expect(source.d.e.f).toBe(2);
    expect((source.a[1] as { b: string }).b).toBe('x');
    expect(Array.isArray(copy.a)).toBe(true);
  });
});

describe('cloneJson and __proto__', () => {
  it('copies a __proto__ key as an own property instead of setting the prototype', () => {
    const copy = cloneJson(JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});
