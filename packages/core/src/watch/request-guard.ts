import { WatchError } from '../kube/kube-api-error.js';
import type { WatchdogKind } from '../kube/kube-api-error.js';
import { setLongTimeout } from '../internal/long-timeout.js';
import type { LongTimer } from '../internal/long-timeout.js';

/**
 * How long a watcher lets a request hang before its watchdogs abort it. All in milliseconds. An aborted request is
 * retried like a network failure (counted in `ScopeHealth.watchdogAborts`), so a bound set too short costs
 * reconnects, not data.
 */
export interface WatchdogBounds {
  /** Abort a request whose response headers have not arrived after this long. Default: 30,000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Abort a list page that has not fully arrived after this long. Default: 60,000 ms. */
  readonly listPageTimeoutMs?: number | undefined;
  /**
   * Abort a watch stream silent (no event, no bookmark) for this long, counted from the moment its headers
   * arrived, so a path that dies right after the watch opens is noticed within this bound. Apiservers send a
   * bookmark about every minute, so a healthy stream never trips it; on a server that sends none (its watch
   * cache is off for the resource), a quiet stream is re-opened from its resourceVersion once per bound.
   * Default: 150,000 ms.
   */
  readonly idleTimeoutMs?: number | undefined;
  /** A watch still open this long after its `timeoutSeconds` is aborted. Default: 60,000 ms. */
  readonly deadlineGraceMs?: number | undefined;
}

/** The bounds with every default filled in. */
export type ResolvedWatchdogBounds = { readonly [K in keyof WatchdogBounds]-?: number };

/** The defaults of `WatchdogBounds`, in milliseconds. */
export const DEFAULT_WATCHDOG_BOUNDS: ResolvedWatchdogBounds = Object.freeze({
  connectTimeoutMs: 30_000,
  listPageTimeoutMs: 60_000,
  idleTimeoutMs: 150_000,
  deadlineGraceMs: 60_000,
});

/** Fills in the defaults of the bounds not given. */
export function resolveWatchdogBounds(bounds: WatchdogBounds): ResolvedWatchdogBounds {
  const d = DEFAULT_WATCHDOG_BOUNDS;
  return {
    connectTimeoutMs: bounds.connectTimeoutMs ?? d.connectTimeoutMs,
    listPageTimeoutMs: bounds.listPageTimeoutMs ?? d.listPageTimeoutMs,
    idleTimeoutMs: bounds.idleTimeoutMs ?? d.idleTimeoutMs,
    deadlineGraceMs: bounds.deadlineGraceMs ?? d.deadlineGraceMs,
  };
}

/** Abort reason of every request when the reflector stops. */
export const STOPPED = Symbol('stopped');
/** Abort reason of the request in flight when a relist was asked for. */
export const RELIST = Symbol('relist');
/** Abort reason of a prefetched list page that is not going to be read. */
export const CANCELLED = Symbol('cancelled');

/**
 * One request's abort controller and the watchdogs that may abort it: one-shot bounds (`watchdog`), and at most
 * one silence bound re-armed on every sign of life (`rearmSilence`). Every watchdog aborts with a `WatchError` of
 * kind `watchdog` naming itself. Timers are the global ones, so fake timers drive them.
 */
export class RequestGuard {
  readonly #controller = new AbortController();
  readonly #onRelease: (guard: RequestGuard) => void;
  #timers: LongTimer[] = [];
  #silence: LongTimer | undefined;

  constructor(onRelease: (guard: RequestGuard) => void) {
    this.#onRelease = onRelease;
  }

  /** The signal to hand the request. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts the request (a no-op once aborted: the first reason stays). */
  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  /** Aborts the request after `ms` unless the returned timer is cleared first (or the guard released). */
  watchdog(kind: WatchdogKind, ms: number, message: string): LongTimer {
    const timer = setLongTimeout(() => this.#bark(kind, ms, message), ms);
    this.#timers.push(timer);
    return timer;
  }

  /** Replaces the silence watchdog: the request is aborted if `rearmSilence` is not called again within `ms`. */
  rearmSilence(kind: WatchdogKind, ms: number, message: string): void {
    this.#silence?.clear();
    this.#silence = setLongTimeout(() => this.#bark(kind, ms, message), ms);
  }

  /** Clears every watchdog and forgets the request (it no longer takes part in `GuardSet.abortAll`). Idempotent. */
  release(): void {
    for (const timer of this.#timers) timer.clear();
    this.#timers = [];
    this.#silence?.clear();
    this.#onRelease(this);
  }

  /**
   * Why the request ended, if it was aborted: `STOPPED` whenever `stopped`, else the abort reason (`RELIST`, a
   * watchdog's `WatchError`, ...). `undefined` when it was not aborted: the error is the request's own.
   */
  abortReason(stopped: boolean): unknown {
    if (stopped) return STOPPED;
    const signal = this.#controller.signal;
    return signal.aborted ? (signal.reason as unknown) : undefined;
  }

  #bark(kind: WatchdogKind, ms: number, message: string): void {
    this.#controller.abort(new WatchError('watchdog', `${message} (${String(ms)} ms)`, { watchdog: kind }));
  }
}

/** The guarded requests of one reflector in flight: the watch, or a list page and the next one. */
export class GuardSet {
  readonly #inFlight = new Set<RequestGuard>();

  /** A new guard for a request about to be sent; `release()` it when the request is over. */
  arm(): RequestGuard {
    const guard = new RequestGuard((g) => this.#inFlight.delete(g));
    this.#inFlight.add(guard);
    return guard;
  }

  /** Aborts every request in flight with `reason`. */
  abortAll(reason: unknown): void {
    for (const guard of this.#inFlight) guard.abort(reason);
  }
}
