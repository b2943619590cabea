import { createHash } from 'node:crypto';

// Memoized per object: the delta engine computes it for the fingerprint and the emit cache stores the very
// same string as the last delivered state, so both share one copy in memory instead of two.
const memo = new WeakMap<object, string>();

/**
 * JSON with object keys sorted at every depth and no whitespace: equal data gives equal text, whatever order
 * the apiserver (or a pruning step) left the keys in. `undefined` members are skipped, as JSON.stringify does.
 * The text of a frozen top-level object is memoized (nested objects are not: that would keep several partial
 * copies of every object alive).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return write(value);
  const cached = memo.get(value);
  if (cached !== undefined) return cached;
  const text = write(value);
  // Only frozen objects are memoized: a mutable one could change after we cached its text.
  if (Object.isFrozen(value)) memo.set(value, text);
  return text;
}

function write(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined || typeof item === 'function' ? 'null' : write(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${write(member)}`);
  }
  return `{${parts.join(',')}}`;
}

/** SHA-1 (as the original) of the canonical JSON, base64url: 27 characters. Not a security boundary. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha1').update(canonicalJson(value)).digest('base64url');
}
