/**
 * `stateStore: {type: cluster}` in the daemon: the emit caches kept in ConfigMaps of the daemon's namespace, so a
 * replacement pod (an empty stateDir) starts from what the receivers hold. Without leader election it is this
 * replica's own state; with it, the store the leader shares with standbys.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { createClusterCacheStore } from '@watch-proxy/core/cache';
import type { SharedCacheStore } from '@watch-proxy/core/cache';

import type { ConfigEnv, StateStoreConfig } from './config/index.js';
import { daemonNamespace } from './leader-election.js';

/** A store and the settings it was made from (a reload with the same settings keeps it). */
export interface ClusterStateStore {
  readonly store: SharedCacheStore;
  /** Identifies the settings. */
  readonly key: string;
}

/** Creates the store `config` describes (no I/O until it loads or saves). */
export function createClusterStateStore(config: StateStoreConfig, kubeConfig: KubeConfig, env: ConfigEnv = process.env): ClusterStateStore {
  const namespace = daemonNamespace(config.namespace, kubeConfig, env);
  return {
    store: createClusterCacheStore({ kubeConfig, namespace, name: config.name }),
    key: JSON.stringify({ name: config.name, namespace }),
  };
}
