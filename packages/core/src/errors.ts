/**
 * Stable error codes. Match on `code`, not on message text; messages may improve between releases.
 * `WP_ERR_<AREA>_<WHAT>`; documented in docs/errors.md.
 */
export type WatchProxyErrorCode =
  | 'WP_ERR_INVALID_ARG'
  | 'WP_ERR_CONFIG_INVALID'
  | 'WP_ERR_CLOSED'
  | 'WP_ERR_SINK_START'
  | 'WP_ERR_SINK_SEND'
  | 'WP_ERR_SINK_TIMEOUT'
  | 'WP_ERR_SINK_REJECTED'
  | 'WP_ERR_DELIVERY_FAILED'
  | 'WP_ERR_QUEUE_FULL'
  | 'WP_ERR_WATCH_FAILED'
  | 'WP_ERR_WATCH_FORBIDDEN'
  | 'WP_ERR_WATCH_GONE'
  | 'WP_ERR_WATCH_NOT_FOUND'
  | 'WP_ERR_KUBE_REQUEST'
  | 'WP_ERR_STATE_CORRUPT'
  | 'WP_ERR_STATE_WRITE';

const brand = Symbol.for('watch-proxy.error');

/**
 * Base class of every error watch-proxy creates. `instanceof` works across duplicate installs of core
 * (checked through a `Symbol.for` brand, as undici does), but prefer matching on `code`.
 */
export class WatchProxyError extends Error {
  /** Stable machine-readable code. */
  readonly code: WatchProxyErrorCode;

  constructor(code: WatchProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== WatchProxyError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** A programming error in arguments or options: thrown synchronously, never reported. */
export class InvalidArgumentError extends WatchProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WP_ERR_INVALID_ARG', message, options);
  }
}

/** A method was called after `shutdown()` or `destroy()`. */
export class ClosedError extends WatchProxyError {
  constructor(message = 'watch-proxy is closed') {
    super('WP_ERR_CLOSED', message);
  }
}

/** Where a delivery error happened: which sink, which batch, which attempt (1-based). */
export interface SinkErrorDetails {
  readonly sink: string;
  readonly batchId: string;
  readonly attempt: number;
  /** Whether core will try the batch again. */
  readonly retryable: boolean;
}

/**
 * A `send` failed: `WP_ERR_SINK_SEND` (retryable outcome or a throw), `WP_ERR_SINK_TIMEOUT` (the attempt
 * timed out and was aborted), `WP_ERR_SINK_REJECTED` (the sink rejected the batch; it is not retried).
 * Reported through `onError` and events, never thrown.
 */
export class SinkError extends WatchProxyError {
  readonly sink: string;
  readonly batchId: string;
  readonly attempt: number;
  readonly retryable: boolean;

  constructor(
    code: 'WP_ERR_SINK_SEND' | 'WP_ERR_SINK_TIMEOUT' | 'WP_ERR_SINK_REJECTED',
    message: string,
    details: SinkErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.sink = details.sink;
    this.batchId = details.batchId;
    this.attempt = details.attempt;
    this.retryable = details.retryable;
  }
}

/** A sink's `start()` failed, so `WatchProxy.start()` rejects with this (`WP_ERR_SINK_START`). */
export class SinkStartError extends WatchProxyError {
  readonly sink: string;

  constructor(sink: string, options?: { cause?: unknown }) {
    super('WP_ERR_SINK_START', `sink "${sink}" failed to start`, options);
    this.sink = sink;
  }
}

/** Writing the emit cache to `stateDir` failed (`WP_ERR_STATE_WRITE`); retried on the next persist. */
export class StateError extends WatchProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WP_ERR_STATE_WRITE', message, options);
  }
}
