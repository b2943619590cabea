// @watch-proxy/core/watch: what a custom watch stage implements (`WatchProxyOptions.watchSource`) and the
// watcher health that `WatchProxy.watchHealth()` reports, the resource a name resolves to, and the error a failed
// list, watch or discovery is reported as (the `watchError` event).
export type { WatchedResource, WatchSource, WatchSourceFactory, WatchSourceInit } from './watch-source.js';
export type { ResolvedResource, WatchEvent, WatchHandlers } from './watch-event.js';
export { metaNamespaceKey } from './object-key.js';
export type { WatcherHealth } from './resource-watcher.js';
export type { ScopeHealth, WatchErrorInfo, WatcherState } from './scope-health.js';
export type { WatchdogBounds } from './request-guard.js';
export { WatchError } from '../kube/kube-api-error.js';
export type { FailureKind, WatchdogKind } from '../kube/kube-api-error.js';
export type { ResourceRef } from '../types.js';
