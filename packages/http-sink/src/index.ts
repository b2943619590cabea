export { createHttpSink } from './http-sink.js';
export { DEFAULT_IDEMPOTENCY_KEY_HEADER, DEFAULT_TIMEOUT_MS } from './resolve-options.js';
export type { HttpSink } from './http-sink.js';
export type {
  HeaderValue,
  HttpCompression,
  HttpEndpointType,
  HttpPayloadFormat,
  HttpSinkOptions,
  HttpSinkTlsOptions,
} from './options.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifySignature } from './signing.js';
export type { SignedRequest } from './signing.js';
export { CLOUDEVENTS_BATCH_CONTENT_TYPE, encodeCloudEventsBatch } from './cloudevents.js';
// Core's, re-exported: sink authors found it here first.
export { parseRetryAfter } from '@watch-proxy/core/sink';
export { BoundedFileError, MAX_TLS_FILE_BYTES, MAX_TOKEN_FILE_BYTES, checkBoundedFileSync, readBoundedFile, readBoundedFileSync } from './read-bounded-file.js';
