import type { KubeObject } from '../types.js';

/**
 * Removes `metadata.managedFields` from an object the watcher just parsed (and so owns: nobody else holds it yet),
 * returning the same object. The field is a third of a typical object's heap (1.6 KB of 4.1 KB for a 3.4 KB
 * ConfigMap, `bench/micro/object-heap.ts`) and the delta engine drops it anyway unless a resource includes it.
 * `metadata` is replaced by a copy without the key rather than `delete`d from: `delete` turns the object into a
 * slower, larger dictionary-mode object in V8 (2.84 KB instead of 2.47 KB per ConfigMap).
 */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  const metadata = obj['metadata'];
  if (typeof metadata !== 'object' || metadata === null || !Object.hasOwn(metadata, 'managedFields')) return obj;
  const { managedFields: _dropped, ...rest } = metadata as Record<string, unknown>;
  (obj as Record<string, unknown>)['metadata'] = rest;
  return obj;
}
