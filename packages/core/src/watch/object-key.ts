import type { KubeObject } from '../types.js';

// Object keys, defined once. In watch/ (importing only types.ts) because the watcher keys its cache by them first;
// the delta engine (Change.key), reconciliation and the fake source import them from here, with the flow.

/**
 * An object's `metadata.namespace` and `metadata.name`, `''` for each that is missing or not a string (a
 * cluster-scoped object has no namespace). Never throws, whatever the object's shape: the one reading of an
 * object's identity that every key below is built from.
 */
export function namespaceAndName(object: KubeObject): { readonly namespace: string; readonly name: string } {
  const metadata = object['metadata'];
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return { namespace: '', name: '' };
  const { namespace, name } = metadata as { readonly namespace?: unknown; readonly name?: unknown };
  return { namespace: typeof namespace === 'string' ? namespace : '', name: typeof name === 'string' ? name : '' };
}

/**
 * client-go's `MetaNamespaceKeyFunc`: `namespace/name` for a namespaced object, `name` for a cluster-scoped one.
 * What a watcher keys its own cache by, within one resource kind.
 */
export function metaNamespaceKey(object: KubeObject): string {
  const { namespace, name } = namespaceAndName(object);
  return namespacedKey(namespace, name);
}

/**
 * The key `metaNamespaceKey` makes of a namespace (`''` when cluster-scoped) and a name, for callers that read
 * them without an object (a relist reads them from a watch line's first bytes).
 */
export function namespacedKey(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

/**
 * `Change.key`, the original's cache and coalescing key: `<resource>|<namespace>/<name>`, or `<resource>|<name>`
 * for a cluster-scoped object, where `resource` is the name the resource is configured by. It deliberately
 * excludes the uid: a re-created name shares the key (see the lane).
 */
export function objectKey(resource: string, object: KubeObject): string {
  return `${resource}|${metaNamespaceKey(object)}`;
}
