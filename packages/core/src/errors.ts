/**
 * Every stable error code watch-proxy uses, each with the class that carries it. Match on `code`, not on message
 * text: messages may improve between releases. `WP_ERR_<AREA>_<WHAT>`; docs/errors.md says when each is raised
 * and what to do (a test keeps the two equal).
 */
export const WATCH_PROXY_ERROR_CODES = {
  WP_ERR_INVALID_ARG: 'InvalidArgumentError',
  WP_ERR_CONFIG_INVALID: 'ConfigError',
  WP_ERR_EXPRESSION_INVALID: 'ExpressionError',
  WP_ERR_EXPRESSION_NOT_JSON: 'NotJsonError',
  WP_ERR_CLOSED: 'ClosedError',
  WP_ERR_INTERNAL: 'InternalError',
  WP_ERR_LISTENER_THREW: 'ListenerError',
  WP_ERR_SINK_START: 'SinkStartError',
  WP_ERR_SINK_SEND: 'SinkError',
  WP_ERR_SINK_TIMEOUT: 'SinkError',
  WP_ERR_SINK_REJECTED: 'SinkError',
  WP_ERR_SINK_CLOSE: 'SinkCloseError',
  WP_ERR_WATCH_FAILED: 'WatchError',
  WP_ERR_WATCH_FORBIDDEN: 'WatchError',
  WP_ERR_WATCH_GONE: 'WatchError',
  WP_ERR_WATCH_NOT_FOUND: 'WatchError',
  WP_ERR_KUBE_REQUEST: 'KubeRequestError',
  WP_ERR_STATE_LOAD: 'StateError',
  WP_ERR_STATE_WRITE: 'StateError',
  WP_ERR_STATE_INTENTS_FULL: 'IntentLogFullError',
} as const;

/** A stable error code: a key of {@link WATCH_PROXY_ERROR_CODES}. */
export type WatchProxyErrorCode = keyof typeof WATCH_PROXY_ERROR_CODES;

/** The static property under which a class keeps its brand (see {@link brandError}). */
const BRAND = Symbol.for('watch-proxy.error.brand');

type Branded = abstract new (...args: never[]) => WatchProxyError;

function brandOf(cls: unknown): symbol | undefined {
  return typeof cls === 'function' && Object.hasOwn(cls, BRAND) ? ((cls as unknown as Record<symbol, symbol>)[BRAND] as symbol) : undefined;
}

/**
 * Gives `cls` the brand `Symbol.for('watch-proxy.error.<name>')`: its instances carry it, and `instanceof cls` checks
 * it, so `instanceof` holds across two installed copies of core (two copies of a class are two objects; the
 * registered symbol is one). Called once per class, in a static block, with a literal name: bundlers may rename
 * classes. A subclass that is not branded (a user's own) is checked by its prototype chain, as usual.
 */
export function brandError(cls: Branded, name: string): void {
  // The base keeps the brand releases before per-class brands used, so their instances and ours still match.
  Object.defineProperty(cls, BRAND, { value: Symbol.for(name === 'WatchProxyError' ? 'watch-proxy.error' : `watch-proxy.error.${name}`) });
}

/**
 * Base class of every error watch-proxy creates; `code` says which (see {@link WATCH_PROXY_ERROR_CODES}). Each
 * subclass is branded, so `instanceof` works across duplicate installs of core, but prefer matching on `code`.
 */
export class WatchProxyError extends Error {
  /** Stable machine-readable code. */
  readonly code: WatchProxyErrorCode;

  constructor(code: WatchProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    // Every branded class from the one constructed up to this one: an instance of SinkError is a WatchProxyError too.
    for (let cls: unknown = new.target; typeof cls === 'function' && cls !== Error; cls = Object.getPrototypeOf(cls)) {
      const brand = brandOf(cls);
      if (brand !== undefined) Object.defineProperty(this, brand, { value: true });
    }
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand = brandOf(this);
    if (brand === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  static {
    brandError(this, 'WatchProxyError');
  }
}

/** A programming error in arguments or options (`WP_ERR_INVALID_ARG`): thrown synchronously, never reported. */
export class InvalidArgumentError extends WatchProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WP_ERR_INVALID_ARG', message, options);
  }

  static {
    brandError(this, 'InvalidArgumentError');
  }
}

/**
 * A configuration value a sink or the CLI refuses (`WP_ERR_CONFIG_INVALID`): a bad option, a missing or empty
 * environment variable, an unreadable file. Thrown where the sink is created; never retried. Names the option and
 * the variable or path, never a value (which may be a credential).
 */
export class ConfigError extends WatchProxyError {
  /** The option it is about, as the sink's options name it: `url`, `tls.caFile`, `headers.X-Api-Key`, `HTTPS_PROXY`. */
  readonly option: string;
  /** What is wrong, without the option: `environment variable TOKEN is not set`. */
  readonly reason: string;

  /** `message` defaults to `<option>: <reason>`. */
  constructor(option: string, reason: string, options?: { cause?: unknown; message?: string }) {
    super('WP_ERR_CONFIG_INVALID', options?.message ?? `${option}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.option = option;
    this.reason = reason;
  }

  static {
    brandError(this, 'ConfigError');
  }
}

/** A method was called after `shutdown()` or `destroy()` (`WP_ERR_CLOSED`). */
export class ClosedError extends WatchProxyError {
  constructor(message = 'watch-proxy is closed') {
    super('WP_ERR_CLOSED', message);
  }

  static {
    brandError(this, 'ClosedError');
  }
}

/**
 * A stage of the pipeline failed where it should not be able to (`WP_ERR_INTERNAL`): a bug, contained so the
 * pipeline goes on. Reported through `onError` with the failure as `cause`; never thrown.
 */
export class InternalError extends WatchProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WP_ERR_INTERNAL', message, options);
  }

  static {
    brandError(this, 'InternalError');
  }
}

/** A listener of a `WatchProxy` event threw (`WP_ERR_LISTENER_THREW`); isolated and reported through `onError`. */
export class ListenerError extends WatchProxyError {
  /** The event whose listener threw: `change`, `emitted`... */
  readonly event: string;

  constructor(event: string, options?: { cause?: unknown }) {
    super('WP_ERR_LISTENER_THREW', `a "${event}" listener threw`, options);
    this.event = event;
  }

  static {
    brandError(this, 'ListenerError');
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

  static {
    brandError(this, 'SinkError');
  }
}

/**
 * A sink's `start()` failed (`WP_ERR_SINK_START`), so `WatchProxy.start()` rejects with this, the sink's error
 * as `cause`. A sink may throw one itself from `start()` to say why (`reason`).
 */
export class SinkStartError extends WatchProxyError {
  readonly sink: string;

  /** `reason`, when given, follows `sink "<name>" failed to start: ` in the message. */
  constructor(sink: string, options?: { cause?: unknown; reason?: string }) {
    const reason = options?.reason === undefined ? '' : `: ${options.reason}`;
    super('WP_ERR_SINK_START', `sink "${sink}" failed to start${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.sink = sink;
  }

  static {
    brandError(this, 'SinkStartError');
  }
}

/** A sink's `close()` failed at shutdown (`WP_ERR_SINK_CLOSE`): listed in `ShutdownReport.errors`, `cause` is the sink's error. */
export class SinkCloseError extends WatchProxyError {
  readonly sink: string;

  constructor(sink: string, options?: { cause?: unknown }) {
    super('WP_ERR_SINK_CLOSE', `sink "${sink}" failed to close`, options);
    this.sink = sink;
  }

  static {
    brandError(this, 'SinkCloseError');
  }
}

/**
 * The persisted state could not be used: `WP_ERR_STATE_LOAD` (loading the cluster state store failed; the sink
 * starts from what it has) or `WP_ERR_STATE_WRITE` (writing the emit cache, its journal, the dead-letter file or
 * the cluster state store failed; retried on the next persist). Reported through `onError`, never thrown.
 */
export class StateError extends WatchProxyError {
  constructor(code: 'WP_ERR_STATE_LOAD' | 'WP_ERR_STATE_WRITE', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  static {
    brandError(this, 'StateError');
  }
}
