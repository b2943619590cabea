import { hash } from 'node:crypto';

// A hand-rolled serializer for the bytes Go's encoding/json produced in the original Watch-Proxy: object keys
// sorted bytewise at every depth, compact, HTML-safe escaping. It is the hot path of every POST (~5 KB objects
// at >= 10k objects/s), so it writes each value once instead of sorting copies and calling JSON.stringify.

// Anything that forces the careful path for a string: characters Go escapes differently from JSON.stringify
// (control characters as \u00XX except \n \r \t, `<` `>` `&`, U+2028/U+2029), and UTF-16 surrogates (lone ones
// become U+FFFD; any non-BMP key changes the sort order, see sortKeys).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_CARE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

/**
 * Quotes a string as Go's `encoding/json` (Go 1.13, `escapeHTML` on) does: `"` `\\` `\n` `\r` `\t` as short
 * escapes, other control characters and `<` `>` `&` U+2028 U+2029 as lower-case `\u00XX`, and lone surrogates
 * (invalid UTF-8 in Go's terms) replaced by U+FFFD. Everything else is written raw.
 */
export function quoteJsonString(value: string): string {
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  let out = '"';
  let start = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    let escaped: string | undefined;
    if (c < 0x20) {
      escaped = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) {
      escaped = '\\"';
    } else if (c === 0x5c) {
      escaped = '\\\\';
    } else if (c === 0x3c) {
      escaped = '\\u003c';
    } else if (c === 0x3e) {
      escaped = '\\u003e';
    } else if (c === 0x26) {
      escaped = '\\u0026';
    } else if (c === 0x2028) {
      escaped = '\\u2028';
    } else if (c === 0x2029) {
      escaped = '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? value.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair is written raw, as Go writes valid UTF-8
        continue;
      }
      escaped = '\ufffd';
    } else {
      continue;
    }
    out += value.slice(start, i) + escaped;
    start = i + 1;
  }
  return `${out}${value.slice(start)}"`;
}

// Go sorts map keys by their UTF-8 bytes, which is code point order. JavaScript's default sort compares UTF-16
// code units, which differs only when a surrogate (non-BMP character) meets U+E000..U+FFFF.
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates above U+E000..U+FFFF so that code unit order becomes code point order.
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/**
 * Sorts `keys` in place by UTF-16 code unit (Array#sort's default order) and returns them. Insertion sort for
 * the usual handful of keys: it measured ~1.5x faster overall than the default sort (which converts and compares
 * through a generic path); large maps (labels, ConfigMap data) take `sort()`. Shared with the delta engine's
 * projection, which builds its copies in this order.
 */
export function sortByCodeUnit(keys: string[]): string[] {
  const length = keys.length;
  if (length > 24) return keys.sort();
  for (let i = 1; i < length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function sortKeys(keys: string[]): string[] {
  sortByCodeUnit(keys);
  return keys.some((key) => HAS_SURROGATE.test(key)) ? keys.sort(compareCodePoints) : keys;
}

function encodeNumber(value: number): string {
  // JavaScript's shortest round-trip form switches to exponents at the same bounds (1e21, 1e-6) and spells them
  // the same way as Go's encoding/json ("1e+21", "1e-7"). Go cannot encode NaN/Infinity; null is the safe choice.
  return Number.isFinite(value) ? String(value) : 'null';
}

function encodeArray(value: readonly unknown[]): string {
  const length = value.length;
  if (length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < length; i++) {
    if (i > 0) out += ',';
    const item = encodeValue(value[i]);
    out += item ?? 'null';
  }
  return `${out}]`;
}

// Kubernetes objects repeat a small vocabulary of keys; caching their quoted form (with the ':' after it) saves
// a regex test per key. Bounded so that objects with unbounded key sets (labels, ConfigMap data) cannot grow it.
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${quoteJsonString(key)}:`;
    if (quotedKeys.size >= QUOTED_KEYS_MAX) quotedKeys.clear();
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

function encodeObject(value: Record<string, unknown>): string {
  const keys = sortKeys(Object.keys(value));
  let out = '{';
  for (const key of keys) {
    const item = encodeValue(value[key]);
    if (item === undefined) continue; // like JSON.stringify: undefined and functions are not data
    out += out.length === 1 ? quoteKey(key) + item : `,${quoteKey(key)}${item}`;
  }
  return `${out}}`;
}

function encodeValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quoteJsonString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return encodeArray(value);
      return encodeObject(value as Record<string, unknown>);
    case 'bigint':
      return value.toString();
    default:
      return undefined;
  }
}

/**
 * Serializes plain JSON data the way the original Watch-Proxy's Go code did after its JSON round-trip: compact,
 * object keys sorted bytewise (UTF-8 order) at every depth, Go's HTML-safe string escaping (see
 * {@link quoteJsonString}). Keys whose value is `undefined` or a function are left out, `undefined` in arrays
 * and non-finite numbers become `null`. `toJSON` methods are not called: the input is plain data.
 *
 * Equal data gives equal bytes, so the result is also a canonical form to hash.
 */
export function encodeCanonicalJson(value: unknown): string {
  return encodeValue(value) ?? 'null';
}

// Where JSON.stringify's text of key-sorted data differs from Go's: Go's extra escapes (`<` `>` `&` U+2028
// U+2029, rewritten below), and what only the encoder above gets right: surrogates (a lone one becomes U+FFFD,
// a non-BMP key sorts by code point) and the `\b` `\f` `\uXXXX` escapes (Go writes control characters as
// `\u00XX`, and `\u` also stands for a lone surrogate). `\\b` (an escaped backslash before `b`) matches too: a
// false positive only costs the slower encoder.
const NOT_GO_TEXT = /[<>&\u2028\u2029\ud800-\udfff]|\\[bfu]/;
const NEEDS_ENCODER = /[\ud800-\udfff]|\\[bfu]/;
const GO_EXTRA = /[<>&\u2028\u2029]/g;
const GO_EXTRA_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goExtraEscape(c: string): string {
  return GO_EXTRA_ESCAPES[c]!;
}

/**
 * The same bytes as {@link encodeCanonicalJson}, faster for data whose object keys are already in sorted
 * order: the native `JSON.stringify` writes it, then Go's HTML escapes are applied only when the text has one
 * of those characters, and the few texts JSON.stringify spells differently (surrogates, `\b` `\f` `\u00XX`)
 * are encoded again by {@link encodeCanonicalJson}.
 *
 * The caller guarantees the order: every object's own keys inserted in UTF-16 code unit order, none of them
 * integer-like (V8 enumerates `"0"`, `"42"` first whatever the insertion order), and only JSON data (no
 * functions, `toJSON` methods or bigints). The delta engine's copy builds exactly that (see
 * `delta/projection.ts`) and takes {@link encodeCanonicalJson} when it cannot.
 */
export function encodeKeySortedJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return encodeCanonicalJson(value);
  if (!NOT_GO_TEXT.test(text)) return text;
  if (NEEDS_ENCODER.test(text)) return encodeCanonicalJson(value);
  return text.replace(GO_EXTRA, goExtraEscape);
}

// Memoized per object: the delta engine computes it for the fingerprint and the emit cache stores the very
// same string as the last delivered state, so both share one copy in memory instead of two.
const memo = new WeakMap<object, string>();

/**
 * JSON with object keys sorted at every depth and no whitespace: equal data gives equal text, whatever order
 * the apiserver (or a pruning step) left the keys in. It is the original's wire form of the object (see
 * {@link encodeCanonicalJson}: Go's key order and escaping), so the fingerprint hashes exactly the bytes a receiver
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
