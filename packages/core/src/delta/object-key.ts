/**
 * The original's cache and coalescing key: `<resource>|<namespace>/<name>`, or `<resource>|<name>` for
 * cluster-scoped objects. It deliberately excludes the uid: a re-created name shares the key (see the lane).
 */
export function objectKey(resource: string, namespace: string, name: string): string {
  return namespace === '' ? `${resource}|${name}` : `${resource}|${namespace}/${name}`;
}
