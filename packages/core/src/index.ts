// The root entry of @watch-proxy/core: the WatchProxy, its options and handle types, the sink contract's types,
// the errors of the pipeline as a whole and the logger (a stage's own error lives in its entry: WatchError in
// ./watch, KubeRequestError in ./kube, StateError in ./cache, ExpressionError in ./expression; hosts match every
// error by its `code`, which needs no import). Topic entries hold the rest: ./sink (what a sink's own code calls:
// the outcome constructors, longTimeoutSignal, parseRetryAfter), ./payload (encoders and the payload format),
// ./watch (plugging a watch source, watcher health), ./expression (CEL rules checked as WatchProxy compiles them),
// ./leader (Lease election), ./cache (the shared emit-cache store), ./testing (MemorySink, FakeSource, the sink
// conformance suite). api-report.md lists them all; `pnpm --filter @watch-proxy/core run check:api` fails when
// this drifts from it.

// The proxy and its options.
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
  ClusterStats,
} from './watch-proxy-types.js';
export type { ClusterOptions, ResourceOptions, SinkOptions, WatchProxyOptions } from './options.js';
export type { RetryPolicy } from './deliver/retry-policy.js';
export type { LaneStats } from './deliver/lane-contract.js';
export type { DropReason } from './types.js';

// The sink contract: what a sink implements and receives (the outcome constructors and helpers a sink's code calls
// are in ./sink).
export type { Batch, BatchCluster, Change, ChangeEvent, KubeObject } from './types.js';
export type { RejectionKind, SendContext, SendOutcome, Sink, SinkLifecycleContext } from './sink/sink.js';

// Errors.
export type { SinkErrorDetails, WatchProxyErrorCode } from './errors.js';
export {
  WATCH_PROXY_ERROR_CODES,
  ClosedError,
  ConfigError,
  InternalError,
  InvalidArgumentError,
  ListenerError,
  SinkCloseError,
  SinkError,
  SinkStartError,
  WatchProxyError,
} from './errors.js';

// Logging.
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
