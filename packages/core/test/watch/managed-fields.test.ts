import { describe, expect, it } from 'vitest';
import { withoutManagedFields } from '../../src/watch/managed-fields.js';

describe('withoutManagedFields', () => {
  it('removes metadata.managedFields and keeps everything else, in order', () => {
    const obj = {
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'ns', managedFields: [{ manager: 'kubectl' }], labels: { app: 'x' } },
      data: { k: 'v' },
    };
    const out = withoutManagedFields(obj);
    expect(out).toBe(obj);
    expect(out).toEqual({ kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', labels: { app: 'x' } }, data: { k: 'v' } });
    expect(Object.keys(out['metadata'] as object)).toEqual(['name', 'namespace', 'labels']);
  });

  it('leaves objects without managedFields, or without metadata, untouched', () => {
    const plain = { metadata: { name: 'a' } };
    const metadata = plain.metadata;
    expect(withoutManagedFields(plain)).toBe(plain);
    expect(plain.metadata).toBe(metadata);
    expect(withoutManagedFields({ kind: 'Status' })).toEqual({ kind: 'Status' });
    expect(withoutManagedFields({ metadata: null })).toEqual({ metadata: null });
  });
});
