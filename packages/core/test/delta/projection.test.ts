import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeltaEngine, type DeltaResourceSettings } from '../../src/delta/delta-engine.js';
import { compileProjection, project } from '../../src/delta/projection.js';
import { parsePrunePath } from '../../src/delta/prune.js';
import { LAST_APPLIED_ANNOTATION, type RedactionOptions } from '../../src/delta/redact.js';
import { cloneJson, prune, redact } from './reference-steps.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import { canonicalJson, encodeCanonicalJson, encodeKeySortedJson, fingerprintOf } from '../../src/payload/canonical-json.js';
import type { ChangeEvent, ResourceRef } from '../../src/types.js';
import { randomJson, randomString, seededRandom } from '../payload/random-json.js';

const configmaps: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const secrets: ResourceRef = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };

// The delta engine's steps as they were before the single-pass projection, kept as the reference.
function reference(
  source: Record<string, unknown>,
  ref: ResourceRef,
  options: RedactionOptions,
  paths: readonly string[],
  uniqueId: string,
): Record<string, unknown> {
  const object = cloneJson(source);
  delete object['kind'];
  delete object['apiVersion'];
  redact(object, ref, options);
  for (const path of paths) prune(object, parsePrunePath(path));
  const metadata = object['metadata'];
  if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) {
    (metadata as Record<string, unknown>)['uniqueId'] = uniqueId;
  }
  return deepFreeze(object);
}

const PATHS = [
  'metadata', 'metadata.uniqueId', 'metadata.annotations', 'metadata.labels.a', 'metadata.managedFields',
  `metadata.annotations.${LAST_APPLIED_ANNOTATION.replaceAll('.', '\\.')}`,
  `metadata.annotations.${LAST_APPLIED_ANNOTATION.replaceAll('.', '\\.')}.x`,
  'data', 'data.a', 'data.a.b', 'stringData.0', 'spec[*].a', 'spec.a[*].b', 'spec[*][*].name', 'status', 'kind', '10',
];

function randomObject(random: () => number): Record<string, unknown> {
  const pick = (): unknown => randomJson(random, 3);
  const maybe = (key: string, value: () => unknown): Record<string, unknown> => (random() < 0.6 ? { [key]: value() } : {});
  const metadata = {
    ...maybe('name', () => randomString(random)),
    ...maybe('uid', () => randomString(random)),
    ...maybe('uniqueId', pick),
    ...maybe('managedFields', () => [{ manager: 'kubectl', fieldsV1: pick() }]),
    ...maybe('annotations', () => ({ [LAST_APPLIED_ANNOTATION]: '{"data":{"a":"secret"}}', ...(pick() as object) })),
    ...maybe('labels', pick),
    ...(random() < 0.3 ? (pick() as object) : {}),
  };
  const object = {
    ...maybe('kind', () => 'Thing'),
    ...maybe('apiVersion', () => 'v1'),
    ...(random() < 0.9 ? { metadata } : maybe('metadata', pick)),
    ...maybe('data', pick),
    ...maybe('stringData', pick),
    ...maybe('spec', pick),
    ...maybe('status', pick),
    ...(random() < 0.5 ? (pick() as object) : {}),
  };
  // Shuffle the top-level keys, as apiservers write struct fields in their own order.
  return Object.fromEntries(Object.entries(object).sort(() => random() - 0.5));
}

describe('project', () => {
  it('gives the reference steps\' object and canonical text on generated objects, deep-frozen, source untouched', () => {
    const random = seededRandom(11);
    let keySorted = 0;
    for (let i = 0; i < 5_000; i++) {
      const source = randomObject(random);
      const before = encodeCanonicalJson(source);
      const ref = random() < 0.5 ? secrets : configmaps;
      const options = { includeSecretData: random() < 0.3, includeManagedFields: random() < 0.3 };
      const paths = PATHS.filter(() => random() < 0.15);
      const expected = reference(source, ref, options, paths, 'c-uid');
      const projected = project(source, compileProjection(ref, options, paths.map(parsePrunePath)), 'c-uid');
      expect(projected.object).toStrictEqual(expected);
      const text = projected.keySorted ? encodeKeySortedJson(projected.object) : encodeCanonicalJson(projected.object);
      expect(text).toBe(encodeCanonicalJson(expected));
      expect(encodeCanonicalJson(source)).toBe(before);
      const frozen = (value: unknown): boolean =>
        value === null || typeof value !== 'object' || (Object.isFrozen(value) && Object.values(value).every(frozen));
      expect(frozen(projected.object)).toBe(true);
      if (projected.keySorted) keySorted++;
    }
    // Both encoders must have been exercised (integer-like keys make about half the objects unsortable).
    expect(keySorted).toBeGreaterThan(500);
    expect(keySorted).toBeLessThan(4_500);
  }, 60_000);

  it('sorts keys, inserting uniqueId in its place, and notes integer-like keys', () => {
    const source = { status: {}, metadata: { uid: 'u', name: 'n', zone: 'z' }, kind: 'Pod', apiVersion: 'v1' };
    const projected = project(source, compileProjection(configmaps, { includeSecretData: false, includeManagedFields: false }, []), 'c-u');
    expect(JSON.stringify(projected.object)).toBe('{"metadata":{"name":"n","uid":"u","uniqueId":"c-u","zone":"z"},"status":{}}');
    expect(projected.keySorted).toBe(true);
    const numbered = project({ metadata: {}, data: { b: 1, 10: 2 } }, compileProjection(configmaps, { includeSecretData: false, includeManagedFields: false }, []), '');
    expect(numbered.keySorted).toBe(false);
  });

  it('keeps a __proto__ key as data (a ConfigMap may have one) without touching the copy\'s prototype', () => {
    const source = JSON.parse('{"metadata":{"name":"n"},"data":{"__proto__":"x","a":"b"},"spec":{"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    const projected = project(source, compileProjection(configmaps, { includeSecretData: false, includeManagedFields: false }, []), 'c-u');
    expect(encodeKeySortedJson(projected.object)).toBe(
      '{"data":{"__proto__":"x","a":"b"},"metadata":{"name":"n","uniqueId":"c-u"},"spec":{"__proto__":{"polluted":true}}}',
    );
    const spec = projected.object['spec'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(spec)).toBe(Object.prototype);
    expect((spec as { polluted?: unknown }).polluted).toBeUndefined();
    const secret = project(JSON.parse('{"data":{"__proto__":"c2VjcmV0"}}') as Record<string, unknown>, compileProjection(secrets, { includeSecretData: false, includeManagedFields: false }, []), '');
    expect(JSON.stringify(secret.object)).not.toContain('c2VjcmV0');
  });
});

describe('DeltaEngine fingerprint', () => {
  it('memoizes the canonical text of the frozen object and hashes exactly it', () => {
    const random = seededRandom(3);
    const settings: DeltaResourceSettings = {
      assetId: '',
      prunePaths: [parsePrunePath('metadata.annotations')],
      filterEvents: new Set<ChangeEvent>(),
      includeSecretData: false,
      includeManagedFields: false,
    };
    const engine = new DeltaEngine({ clusterName: 'c', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map([['things', settings]]), now: () => 0 });
    const things = { name: 'things', ref: configmaps };
    for (let i = 0; i < 1_000; i++) {
      const object = randomObject(random);
      const outcome = engine.process(things, { type: 'update', object: { ...object, metadata: { ...(object['metadata'] as object), name: `n${i}` } } });
      if (outcome.kind !== 'change') throw new Error(`dropped: ${outcome.reason}`);
      const { change } = outcome;
      const expected = encodeCanonicalJson(change.object);
      expect(canonicalJson(change.object)).toBe(expected);
      expect(change.fingerprint).toBe(createHash('sha1').update(expected).digest('base64url'));
      expect(fingerprintOf(cloneJson(change.object))).toBe(change.fingerprint); // an unmemoized copy
    }
  });
});
