// Seeded generator of JSON-like data for the property tests of the canonical encoders: the characters and
// keys where JSON.stringify, V8's key order and Go's encoding/json part ways are over-represented.

/** A deterministic pseudo-random source (mulberry32): the same seed gives the same data on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'a', 'b', 'f', 'u', 'z', 'A', 'Z', '0', '9', ' ', '-', '.', '/', '_',
  '<', '>', '&', '"', '\\', '\\u', '\\b', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f',
  '\u2028', '\u2029', 'é', 'ß', '中', '\ue000', '\uffff', '😀', '\ud800', '\udc00', '\ud83d',
];
const KEYS = [
  'metadata', 'name', 'namespace', 'uid', 'uniqueId', 'labels', 'spec', 'status', 'data', 'B', 'a', 'aa', 'a.b',
  '0', '1', '2', '10', '01', '-1', '1.5', '4294967294', '4294967295', '9007199254740993', 'k8s.io/name',
  'é', '😀', '\ue000', '\uffff', '<x>', 'a&b', '\ud800',
];
const NUMBERS = [0, -0, 1, -1, 1.5, -0.25, 1e21, 1e20, 1e-6, 1e-7, 2 ** 53 + 2, 123456789012, 0.1 + 0.2, Number.NaN, Infinity];

function pick<T>(random: () => number, from: readonly T[]): T {
  return from[Math.floor(random() * from.length)]!;
}

/** A random string: mostly plain text with, now and then, a character the encoders treat specially. */
export function randomString(random: () => number): string {
  const length = Math.floor(random() * 8);
  let out = '';
  for (let i = 0; i < length; i++) out += random() < 0.6 ? pick(random, PIECES.slice(0, 14)) : pick(random, PIECES);
  return out;
}

/** A random JSON-like value of at most `depth` levels: objects, arrays (empty ones too), strings, numbers. */
export function randomJson(random: () => number, depth = 4): unknown {
  const roll = random();
  if (depth > 0 && roll < 0.35) {
    const out: Record<string, unknown> = {};
    const size = Math.floor(random() * 6);
    for (let i = 0; i < size; i++) {
      const key = random() < 0.7 ? pick(random, KEYS) : randomString(random);
      out[key] = randomJson(random, depth - 1);
    }
    return out;
  }
  if (depth > 0 && roll < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth - 1));
  if (roll < 0.75) return randomString(random);
  if (roll < 0.9) return pick(random, NUMBERS);
  return pick(random, [null, true, false]);
}

/** True for a key V8 enumerates before the others whatever the insertion order (an array index). */
export function isIndexKey(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}
