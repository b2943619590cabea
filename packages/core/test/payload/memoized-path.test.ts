// The encoder writes core's memoized canonical JSON for frozen objects as is, without scanning it. These tests
// pin that this never changes a byte: goldens through frozen objects, seeded random objects (awkward strings, keys
// and numbers included) through both paths, and the text the delta engine memoizes (encodeKeySortedJson's).
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/index.js';
import { canonicalJson, encodeWatchProxyPayload } from '../../src/payload/index.js';
import { DeltaEngine } from '../../src/delta/delta-engine.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { ResolvedResource } from '../../src/watch/watch-event.js';
import { goldenNames, loadGolden } from './golden.js';
import { randomJson, seededRandom } from './random-json.js';

function frozenCopy(items: readonly Change[]): Change[] {
  return items.map((item) => ({ ...item, object: deepFreeze(structuredClone(item.object) as Record<string, unknown>) }));
}

// mulberry32: a tiny seeded PRNG so failures reproduce.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '0', '9', '-', '.', '/', ' ', 'é', 'ü', '中', '\u00ff', '~', '|', ':', '"', '\\', 'b', 'f', 'u', 'plain-text', 'x'];
const RARE = ['<', '>', '&', '\u2028', '\u2029', '\n', '\t', '\b', '\f', '\u0001', '😀', '\ud800', '\ue000', '\uffff', '\\b'];

function makeString(next: () => number): string {
  let out = '';
  const length = Math.floor(next() * 12);
  for (let i = 0; i < length; i++) {
    const pool = next() < 0.05 ? RARE : PIECES;
    out += pool[Math.floor(next() * pool.length)];
  }
  return out;
}

function makeValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.35) return makeString(next);
  if (pick < 0.45) return Math.floor(next() * 2000) - 1000;
  if (pick < 0.5) return [0.5, 1e21, 1.5e-7, -0, 123456789012345680000][Math.floor(next() * 5)];
  if (pick < 0.55) return next() < 0.5;
  if (pick < 0.6) return null;
  if (pick < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => makeValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  const keys = Math.floor(next() * 6);
  for (let i = 0; i < keys; i++) object[next() < 0.2 ? String(Math.floor(next() * 20)) : makeString(next)] = makeValue(next, depth + 1);
  return object;
}

describe('the memoized shortcut for frozen objects', () => {
  it.each(goldenNames)('still writes the Go bytes of the %s vector', (name) => {
    const golden = loadGolden(name);
    const items = frozenCopy(golden.items);
    for (const item of items) canonicalJson(item.object); // as the pipeline's fingerprint step does
    expect(encodeWatchProxyPayload(items, golden.meta)).toBe(golden.body.toString('utf8'));
  });

  it('writes the same bytes as the full encoder for 2,000 random objects', () => {
    const next = random(20261122);
    let shortcut = 0;
    for (let i = 0; i < 2000; i++) {
      const object = { metadata: { name: `o${i}`, uniqueId: `c-${i}` }, spec: makeValue(next, 0) };
      const plain: Change = { ...loadGolden('namespace').items[0]!, object };
      const frozen: Change = { ...plain, object: deepFreeze(structuredClone(object)) };
      const expected = encodeWatchProxyPayload([plain], null);
      expect(encodeWatchProxyPayload([frozen], null)).toBe(expected);
      expect(encodeWatchProxyPayload([plain, frozen], null, 'buffer').equals(Buffer.from(encodeWatchProxyPayload([plain, frozen], null), 'utf8'))).toBe(true);
      if (!/[<>&\u2028\u2029\ud800-\udfff]|\\[bfu]/.test(canonicalJson(frozen.object))) shortcut++;
    }
    // Both paths must actually be exercised for this test to mean anything.
    expect(shortcut).toBeGreaterThan(200);
    expect(shortcut).toBeLessThan(1900);
  });
});

describe('the text the delta engine memoizes', () => {
  it('is what the payload writes: the same bytes as serializing an unfrozen copy in full, for 3,000 random objects', () => {
    const next = seededRandom(7);
    const engine = new DeltaEngine({ clusterName: 'c', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map(), now: () => 0 });
    const resource: ResolvedResource = { name: 'things', ref: { group: 'example.io', version: 'v1', resource: 'things', kind: 'Thing', namespaced: true } };
    let special = 0;
    for (let i = 0; i < 3000; i++) {
      const object = { metadata: { name: `o${i}`, namespace: 'ns', uid: `u${i}` }, spec: randomJson(next), data: randomJson(next) };
      const outcome = engine.process(resource, { type: 'update', object });
      if (outcome.kind !== 'change') throw new Error('dropped');
      const memoized = encodeWatchProxyPayload([outcome.change], null);
      const full = encodeWatchProxyPayload([{ ...outcome.change, object: structuredClone(outcome.change.object) }], null);
      expect(memoized).toBe(full);
      if (/[<>&\u2028\u2029\ud800-\udfff]|\\[bfu]/.test(full)) special++;
    }
    // Texts Go escapes differently from JSON.stringify must be among them, or this would prove little.
    expect(special).toBeGreaterThan(300);
  });
});
