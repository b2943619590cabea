import { join } from 'node:path';
import type { SharedCacheStore } from './cluster-store.js';

// Where one cluster's emit caches live when a proxy watches several: each cluster has its own namespace on disk
// and in the cluster state store, so one cluster's state never collides with another's (the same object key
// `pods|default/web` exists in every cluster). A proxy without `clusters` uses neither: its state stays where it
// always was, so existing installs keep their caches.

/** `<stateDir>/clusters/<name>`: the state folder of one named cluster (name URI-encoded, so any name is a file name). */
export function clusterStateDir(stateDir: string, cluster: string): string {
  return join(stateDir, 'clusters', encodeURIComponent(cluster));
}

/** The key one named cluster's sink has in the shared store: `<cluster>/<sink>` (a cluster name has no `/` to clash on). */
export function clusterSinkKey(cluster: string, sink: string): string {
  return `cluster:${encodeURIComponent(cluster)}/${sink}`;
}

/**
 * `store` seen by one named cluster: every sink name is put in the cluster's namespace (`clusterSinkKey`), and
 * `usage()` lists only this cluster's sinks, under their own names. `owns` is the store's: its ConfigMaps are
 * never sent, whichever cluster they are watched in.
 */
export function clusterNamespacedStore(store: SharedCacheStore, cluster: string): SharedCacheStore {
  const prefix = clusterSinkKey(cluster, '');
  const key = (sink: string): string => `${prefix}${sink}`;
  const intend = store.intend;
  const settle = store.settle;
  const owns = store.owns;
  const usage = store.usage;
  return {
    load: (sink) => store.load(key(sink)),
    save: (sink, entries, mayWrite) => store.save(key(sink), entries, mayWrite),
    ...(intend === undefined ? {} : { intend: (sink, entries, mayWrite) => intend.call(store, key(sink), entries, mayWrite) }),
    ...(settle === undefined ? {} : { settle: (sink, k, uid) => settle.call(store, key(sink), k, uid) }),
    ...(owns === undefined ? {} : { owns: (namespace, name) => owns.call(store, namespace, name) }),
    ...(usage === undefined
      ? {}
      : {
          usage: () =>
            usage
              .call(store)
              .filter((u) => u.sink.startsWith(prefix))
              .map((u) => ({ ...u, sink: u.sink.slice(prefix.length) })),
        }),
  };
}
