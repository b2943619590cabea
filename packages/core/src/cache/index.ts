// @watch-proxy/core/cache: where emit caches outlive a pod (`WatchProxyOptions.sharedCache`) and the state files
// of `stateDir`, and the error their failures are reported as.
export { createClusterCacheStore } from './cluster-cache-store.js';
export type { ClusterCacheStoreOptions } from './cluster-cache-store.js';
export type { SharedCacheStore, SharedCacheUsage } from './cluster-store.js';
export { IntentLogFullError } from './cluster-store.js';
export type { EmitCacheEntry } from './emit-cache.js';
export { adoptCacheFile } from './adopt-cache-file.js';
export { StateError } from '../errors.js';
