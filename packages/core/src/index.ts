export type { Batch, Change, ChangeEvent, DeltaForm, JsonPatchOperation, KubeObject, ResourceRef } from './types.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { WatchProxyErrorCode } from './errors.js';
export { WATCH_PROXY_ERROR_CODES, ClosedError, ConfigError, InternalError, InvalidArgumentError, ListenerError, WatchProxyError } from './errors.js';
export type { RejectionKind, SendContext, SendOutcome, Sink, SinkLifecycleContext } from './sink/sink.js';
export { SINK_TIMEOUT_MARGIN_MS, delivered, partial, rejected, resend, retryable } from './sink/sink.js';
export { encodeCanonicalJson, quoteJsonString } from './payload/canonical-json.js';
export { buildMeta, encodeWatchProxyItem, encodeWatchProxyPayload, wrapVroPayload } from './payload/watch-proxy-payload.js';
export { CLOUDEVENT_JSON_CONTENT_TYPE, cloudEventAttributes, cloudEventOf, encodeCloudEvent } from './payload/cloud-event.js';
export type { WatchEvent, WatchHandlers, ResolvedResource } from './watch/watch-event.js';
export type { ResourceWatcher, ResourceWatcherOptions, WatcherHealth } from './watch/resource-watcher.js';
export { createResourceWatcher } from './watch/resource-watcher.js';
export type { ReflectorTiming } from './watch/reflector-options.js';
export type { WatchdogBounds } from './watch/request-guard.js';
export type { ScopeHealth, WatchErrorInfo, WatcherState } from './watch/scope-health.js';
export type { BackoffOptions } from './watch/backoff.js';
export type { FailureKind, WatchdogKind } from './kube/kube-api-error.js';
export { WatchError } from './kube/kube-api-error.js';
export type { ResolveOptions } from './watch/discovery.js';
export { LEGACY_RESOURCE_GROUPS, resolveResource, resolveResources } from './watch/discovery.js';
export { metaNamespaceKey } from './object-key.js';
export type { DropReason } from './types.js';
export type { SinkErrorDetails } from './errors.js';
export { SinkCloseError, SinkError, SinkStartError, StateError } from './errors.js';
export { WatchProxy } from './watch-proxy.js';
export type {
  DroppedInfo,
  EmittedInfo,
  RetryInfo,
  ShutdownReport,
  SyncedInfo,
  WatchProxyEvents,
  WatchProxyState,
  WatchProxyStats,
} from './watch-proxy-types.js';
export type {
  ResourceOptions,
  SinkOptions,
  WatchProxyOptions,
  WatchSource,
  WatchSourceFactory,
  WatchSourceInit,
} from './options.js';
export type { RouteFilter } from './route/route.js';
export { adoptCacheFile } from './cache/adopt-cache-file.js';
export { batchIdOf } from './deliver/batch-id.js';
export type { RetryPolicy } from './deliver/retry-policy.js';
export type { LaneStats } from './deliver/lane-contract.js';
export { canonicalJson, fingerprintOf } from './payload/canonical-json.js';
export { LAST_APPLIED_ANNOTATION, REDACTED } from './delta/redact.js';
export type { WatchedResource } from './options.js';
export type { DeliveryGate } from './leader/delivery-gate.js';
export type { LeaderRole, LeaderTransition, LeaseElectorOptions } from './leader/lease-elector.js';
export { LeaseElector } from './leader/lease-elector.js';
export type { KubeLeaseLockOptions, LeaderRecord, LeaseLock, ObservedRecord } from './leader/lease-lock.js';
export { KubeLeaseLock } from './leader/lease-lock.js';
export type { KubeJsonRequest } from './kube/kube-json-client.js';
export { KubeJsonClient, KubeRequestError } from './kube/kube-json-client.js';
export type { SharedCacheStore, SharedCacheUsage } from './cache/cluster-store.js';
export { IntentLogFullError } from './cache/cluster-store.js';
export type { EmitCacheEntry } from './cache/emit-cache.js';
export type { ConfigMapCacheStoreOptions } from './cache/cluster-store-configmaps.js';
export { ConfigMapCacheStore } from './cache/cluster-store-configmaps.js';
export { longTimeoutSignal } from './internal/long-timeout.js';
export { parseRetryAfter } from './internal/retry-after.js';
export type { CompiledExpression, ExpressionKind, ExpressionScope } from './expression/compile-expression.js';
export { ExpressionError, compileExpression, expressionVariables } from './expression/compile-expression.js';
export type { ExpressionVariable } from './expression/cel-environment.js';
export type { RuleStats } from './expression/expression-rule.js';
export { MAX_EXPRESSION_LENGTH } from './expression/expression-limits.js';
