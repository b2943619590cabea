import { describe, expect, it } from 'vitest';
import { parsePrunePath } from '../../src/delta/prune.js';
import { prune } from './reference-steps.js';

function pruned(object: unknown, path: string): unknown {
  const copy = structuredClone(object);
  prune(copy, parsePrunePath(path));
  return copy;
}

describe('parsePrunePath', () => {
  it.each([
    ['metadata.resourceVersion', [{ key: 'metadata' }, { key: 'resourceVersion' }]],
    ['a\\.b.c', [{ key: 'a.b' }, { key: 'c' }]],
    ['spec.containers[*].image', [{ key: 'spec' }, { key: 'containers' }, { each: true }, { key: 'image' }]],
    ['spec.containers.[*].image', [{ key: 'spec' }, { key: 'containers' }, { each: true }, { key: 'image' }]],
    ['x\\.', [{ key: 'x.' }]],
  ])('parses %s', (path, steps) => {
    expect(parsePrunePath(path)).toEqual(steps);
  });

  it.each(['', '.a', 'a..b', 'a.', 'a[*]'])('rejects %j', (path) => {
    expect(() => parsePrunePath(path)).toThrow(/pruneFields/);
  });
});

describe('prune', () => {
  const object = {
    metadata: {
      name: 'n',
      resourceVersion: '7',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'yes' },
    },
    spec: { containers: [{ image: 'a', name: 'c1' }, { image: 'b', name: 'c2' }, 'scalar'], replicas: 3 },
    status: null,
  };

  it('removes a nested key like the original', () => {
    expect(pruned(object, 'metadata.resourceVersion')).toMatchObject({ metadata: { name: 'n' } });
    expect((pruned(object, 'metadata.resourceVersion') as typeof object).metadata).not.toHaveProperty(
      'resourceVersion',
    );
  });

  it('addresses dotted keys with \\.', () => {
    const result = pruned(object, 'metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration');
    expect((result as typeof object).metadata.annotations).toEqual({ keep: 'yes' });
  });

  it('applies [*] to every array element and skips scalars in it', () => {
    const result = pruned(object, 'spec.containers[*].image') as typeof object;
    expect(result.spec.containers).toEqual([{ name: 'c1' }, { name: 'c2' }, 'scalar']);
  });

  it.each([
    'spec.containers.image', // through an array without [*]: the original crashed here
    'spec.replicas.value', // through a number
    'status.phase', // through null
    'metadata.name.length', // through a string
    'missing.key',
    'spec[*].x', // [*] on an object
  ])('is a no-op for %s', (path) => {
    expect(pruned(object, path)).toEqual(object);
  });
});
