import type { KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient } from '../kube/kube-json-client.js';
import { ConfigMapCacheStore } from './cluster-store-configmaps.js';
import type { SharedCacheStore } from './cluster-store.js';

/** Where `createClusterCacheStore` keeps the emit caches. */
export interface ClusterCacheStoreOptions {
  /** Credentials and apiserver (its current context); read again on every request, so rotated tokens keep working. */
  readonly kubeConfig: KubeConfig;
  /** The namespace of the ConfigMaps (the daemon's own): RBAC needs configmaps create, and get/update of their names, there. */
  readonly namespace: string;
  /** Prefix of the ConfigMap names (`<name>-emit-cache-<shard>`, `<name>-emit-cache-intents`). Default: `watch-proxy`. */
  readonly name?: string | undefined;
}

/**
 * A `SharedCacheStore` in ConfigMaps of one namespace: 8 shards of at most 900 KiB compressed each, plus an
 * intent log, so a replacement pod with an empty `stateDir` (or a new leader) starts from what the receivers
 * hold. Pass it as `WatchProxyOptions.sharedCache`. No I/O until the pipeline loads or saves.
 */
export function createClusterCacheStore(options: ClusterCacheStoreOptions): SharedCacheStore {
  return new ConfigMapCacheStore({ client: new KubeJsonClient(options.kubeConfig), namespace: options.namespace, name: options.name });
}
