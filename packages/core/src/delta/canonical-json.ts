import { hash } from 'node:crypto';
import { encodeCanonicalJson } from '../payload/canonical-json.js';

// Memoized per object: the delta engine computes it for the fingerprint and the emit cache stores the very
// same string as the last delivered state, so both share one copy in memory instead of two.
const memo = new WeakMap<object, string>();

/**
 * JSON with object keys sorted at every depth and no whitespace: equal data gives equal text, whatever order
 * the apiserver (or a pruning step) left the keys in. It is the original's wire form of the object (see
 * `encodeCanonicalJson`: Go's key order and escaping), so the fingerprint hashes exactly the bytes a receiver
 * gets, and a sink encoding the same frozen object reuses this text instead of serializing it again.
 * Memoized per frozen top-level object (nested ones are not: that would keep partial copies alive).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return encodeCanonicalJson(value);
  const cached = memo.get(value);
  if (cached !== undefined) return cached;
  const text = encodeCanonicalJson(value);
  // Only frozen objects are memoized: a mutable one could change after we cached its text.
  if (Object.isFrozen(value)) memo.set(value, text);
  return text;
}

/** SHA-1 (as the original) of the canonical JSON, base64url: 27 characters. Not a security boundary. */
export function fingerprintOf(value: unknown): string {
  return hash('sha1', canonicalJson(value), 'base64url');
}

/**
 * For the delta engine, which builds its frozen objects so that a faster encoder gives their canonical text
 * (see `delta/projection.ts`): memoizes `text` as `canonicalJson(object)` and returns the fingerprint of it.
 * `text` must be exactly what `canonicalJson(object)` would return and `object` deep-frozen.
 */
export function fingerprintOfCanonical(object: object, text: string): string {
  memo.set(object, text);
  return hash('sha1', text, 'base64url');
}
