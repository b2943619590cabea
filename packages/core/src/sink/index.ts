// @watch-proxy/core/sink: what a sink's own code calls. The outcomes `send` returns (`delivered`, `retryable`,
// `rejected`, `partial`, `resend`) and two helpers for sinks that talk to a remote: `longTimeoutSignal` (a
// deadline of any length) and `parseRetryAfter` (an HTTP `Retry-After` header). The contract's types (`Sink`,
// `SendContext`, `SendOutcome`, `Batch`, `Change`...) stay in the root entry: hosts name them too.
export { delivered, partial, rejected, resend, retryable } from './sink.js';
export { longTimeoutSignal } from '../internal/long-timeout.js';
export { parseRetryAfter } from '../internal/retry-after.js';
