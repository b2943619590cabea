import { WatchProxyError, brandError } from '../errors.js';
import type { WatchProxyErrorCode } from '../errors.js';

/**
 * How a failed list or watch is treated. Decides backoff, relist and health state:
 * - `network`: refused, reset, TLS, premature end, truncated stream; re-watch from the last resourceVersion.
 * - `watchdog`: one of our own timeouts (connect, idle, deadline, list page) aborted the request; like `network`.
 * - `unauthorized`: 401; credentials are re-read on the next attempt (rotated token files, exec plugins).
 * - `forbidden` / `not-found` / `invalid`: 403, 404, other 4xx; the watcher is `degraded` and retries with the long backoff.
 * - `gone`: 410 (resourceVersion or continue token expired); relist, never retrying the stale version.
 * - `too-large`: 504 `ResourceVersionTooLarge` (a lagging apiserver); back off, then relist.
 * - `throttled` / `server`: 429 / 5xx; back off honouring `Retry-After`, then re-watch.
 * - `protocol`: the server answered something that is not Kubernetes JSON.
 */
export type FailureKind =
  | 'network'
  | 'watchdog'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'invalid'
  | 'gone'
  | 'too-large'
  | 'throttled'
  | 'server'
  | 'protocol';

/** Which watchdog aborted a request. */
export type WatchdogKind = 'connect' | 'idle' | 'deadline' | 'list';

/** The parts of a Kubernetes `Status` object the watcher looks at. */
export interface KubeStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: { readonly causes?: readonly { readonly reason?: string; readonly message?: string }[] };
}

function codeFor(kind: FailureKind): WatchProxyErrorCode {
  switch (kind) {
    case 'forbidden':
    case 'unauthorized':
      return 'WP_ERR_WATCH_FORBIDDEN';
    case 'not-found':
      return 'WP_ERR_WATCH_NOT_FOUND';
    case 'gone':
      return 'WP_ERR_WATCH_GONE';
    default:
      return 'WP_ERR_WATCH_FAILED';
  }
}

/**
 * A classified failure of a list, watch or discovery request. Reported through the watcher's `onError` option and
 * `health().lastError`; never thrown into the host once a watcher runs. Messages never contain credentials.
 */
export class WatchError extends WatchProxyError {
  /** How the watcher reacts to it. */
  readonly kind: FailureKind;
  /** HTTP status, or the `code` of a watch `ERROR` event; absent for network failures. */
  readonly status: number | undefined;
  /** The Kubernetes `Status.reason` (`Forbidden`, `Expired`, ...), when the server sent one. */
  readonly reason: string | undefined;
  /** Server-requested delay from `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Set for `watchdog` failures. */
  readonly watchdog: WatchdogKind | undefined;

  constructor(
    kind: FailureKind,
    message: string,
    extra: {
      status?: number | undefined;
      reason?: string | undefined;
      retryAfterMs?: number | undefined;
      watchdog?: WatchdogKind | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(codeFor(kind), message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.kind = kind;
    this.status = extra.status;
    this.reason = extra.reason;
    this.retryAfterMs = extra.retryAfterMs;
    this.watchdog = extra.watchdog;
  }

  static {
    brandError(this, 'WatchError');
  }
}

function hasCause(status: KubeStatus, reason: string): boolean {
  return status.details?.causes?.some((c) => c.reason === reason) ?? false;
}

/** Classifies an HTTP status (with the `Status` body, when there is one). */
export function kindForStatus(code: number, status: KubeStatus = {}): FailureKind {
  if (code === 401) return 'unauthorized';
  if (code === 403) return 'forbidden';
  if (code === 404) return 'not-found';
  if (code === 410) return 'gone';
  if (code === 429) return 'throttled';
  // The cacher answers a resourceVersion it has not caught up with yet by 504 + ResourceVersionTooLarge.
  if (code === 504 && (hasCause(status, 'ResourceVersionTooLarge') || /too large resource version/i.test(status.message ?? ''))) {
    return 'too-large';
  }
  if (code >= 500) return 'server';
  return 'invalid';
}

/** Builds the error for a non-2xx response or a watch `ERROR` event. */
export function errorFromStatus(code: number, status: KubeStatus, what: string, retryAfterMs?: number): WatchError {
  const kind = kindForStatus(code, status);
  const detail = status.message ?? status.reason ?? `HTTP ${code}`;
  return new WatchError(kind, `${what}: ${code} ${detail}`, { status: code, reason: status.reason, retryAfterMs });
}

/** Wraps anything thrown by the transport into a `WatchError` (network unless it already is one). */
export function toWatchError(err: unknown, what: string): WatchError {
  if (err instanceof WatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return new WatchError('network', `${what}: ${typeof code === 'string' ? `${code} ` : ''}${message}`, { cause: err });
}
