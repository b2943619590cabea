import { describe, expect, it } from 'vitest';
import { metaNamespaceKey, namespaceAndName, objectKey } from '../../src/watch/object-key.js';
import { DeltaEngine } from '../../src/delta/delta-engine.js';
import { fakeResolve } from '../../src/testing/fake-source.js';

describe('object keys', () => {
  it('keys a namespaced object by namespace/name and a cluster-scoped one by name', () => {
    expect(metaNamespaceKey({ metadata: { namespace: 'ns', name: 'a' } })).toBe('ns/a');
    expect(metaNamespaceKey({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(objectKey('pods', { metadata: { namespace: 'ns', name: 'a' } })).toBe('pods|ns/a');
    expect(objectKey('nodes', { metadata: { name: 'node-1', namespace: '' } })).toBe('nodes|node-1');
  });

  it('reads any object shape without throwing, treating what is not a string as missing', () => {
    expect(namespaceAndName({})).toEqual({ namespace: '', name: '' });
    expect(namespaceAndName({ metadata: null })).toEqual({ namespace: '', name: '' });
    expect(namespaceAndName({ metadata: ['x'] })).toEqual({ namespace: '', name: '' });
    expect(namespaceAndName({ metadata: { namespace: 7, name: { a: 1 } } })).toEqual({ namespace: '', name: '' });
    expect(objectKey('pods', { metadata: { namespace: 7, name: 'a' } })).toBe('pods|a');
  });

  it('is the key of the changes the delta engine makes', () => {
    const engine = new DeltaEngine({ resources: new Map(), clusterName: 'c', ignoreNamespaces: new Set(), delayAddEventMs: 0, now: () => 0 });
    const object = { metadata: { namespace: 'ns', name: 'a', uid: 'u' } };
    const outcome = engine.process(fakeResolve('configmaps'), { type: 'add', object });
    expect(outcome.kind).toBe('change');
    if (outcome.kind === 'change') expect(outcome.change.key).toBe(objectKey('configmaps', object));
  });

});
