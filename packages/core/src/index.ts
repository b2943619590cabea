export type { Batch, Change, ChangeEvent, KubeObject, ResourceRef } from './types.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { WatchProxyErrorCode } from './errors.js';
export { ClosedError, InvalidArgumentError, WatchProxyError } from './errors.js';
export type { SendContext, SendOutcome, Sink, SinkLifecycleContext } from './sink/sink.js';
export { delivered, partial, rejected, retryable } from './sink/sink.js';
export { encodeCanonicalJson, quoteJsonString } from './payload/canonical-json.js';
export { buildMeta, encodeWatchProxyPayload, wrapVroPayload } from './payload/watch-proxy-payload.js';
