import type { WatchError, WatchdogKind } from '../kube/kube-api-error.js';

/**
 * Where a watcher is:
 * - `idle`: not started;
 * - `syncing`: listing (initial list or relist);
 * - `watching`: a watch stream is established (a routine reconnect after a server timeout keeps this state);
 * - `backoff`: waiting to retry after a transient failure;
 * - `degraded`: waiting to retry after a failure that needs someone to act (403, 404 such as a CRD that is not
 *   installed, 400); retried with the long backoff, never given up;
 * - `stopped`: `stop()` was called.
 */
export type WatcherState = 'idle' | 'syncing' | 'watching' | 'backoff' | 'degraded' | 'stopped';

/** The last failure a watcher saw, as kept in its health. */
export interface WatchErrorInfo {
  readonly kind: WatchError['kind'];
  readonly code: WatchError['code'];
  /** HTTP status or watch `ERROR` code, when there was one. */
  readonly status?: number;
  readonly message: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** Counters and timestamps of one list+watch loop (a namespace, or the whole cluster). Times are epoch ms. */
export interface ScopeHealth {
  /** The namespace watched, or `undefined` for a cluster-wide watch. */
  readonly namespace: string | undefined;
  readonly state: WatcherState;
  /** True once the first complete list was handed out; stays true. */
  readonly synced: boolean;
  /** Current resourceVersion: the list's, then advanced by every event and bookmark. */
  readonly resourceVersion: string | undefined;
  readonly lastEventAt: number | undefined;
  readonly lastBookmarkAt: number | undefined;
  /** When the last complete list finished. */
  readonly lastListAt: number | undefined;
  /** Pages and objects of the last complete list, and how long it took (ms). `pages` is 0 for a streaming list. */
  readonly lastList: { readonly pages: number; readonly objects: number; readonly durationMs: number } | undefined;
  /** Complete lists after the first one (410, recovery from degraded, reconcile). */
  readonly relists: number;
  /** Watch requests opened after the first one (server timeouts included). */
  readonly reconnects: number;
  /** Failed list or watch attempts since the last success. */
  readonly consecutiveFailures: number;
  /** Failed list or watch attempts in total. */
  readonly failures: number;
  /** Requests aborted by each watchdog. Not errors a user must act on; counted for diagnosis. */
  readonly watchdogAborts: Readonly<Record<WatchdogKind, number>>;
  readonly lastError: WatchErrorInfo | undefined;
  /** When the next attempt is due, while in `backoff` or `degraded`. */
  readonly nextAttemptAt: number | undefined;
  /** Since when the loop has not had an established watch stream (undefined while it has one). */
  readonly notWatchingSince: number | undefined;
}

/** What a reflector counts as it runs; `ScopeHealth` is its snapshot. Times are epoch ms. */
export interface HealthCounters {
  lastEventAt: number | undefined;
  lastBookmarkAt: number | undefined;
  lastListAt: number | undefined;
  lastList: ScopeHealth['lastList'];
  relists: number;
  /** Complete lists, the first one included. */
  lists: number;
  /** Watch requests whose headers arrived. */
  watches: number;
  consecutiveFailures: number;
  failures: number;
  readonly watchdogAborts: Record<WatchdogKind, number>;
  lastError: WatchErrorInfo | undefined;
  nextAttemptAt: number | undefined;
  notWatchingSince: number | undefined;
}

/** Counters of a loop that has not run yet. */
export function newHealthCounters(): HealthCounters {
  return {
    lastEventAt: undefined,
    lastBookmarkAt: undefined,
    lastListAt: undefined,
    lastList: undefined,
    relists: 0,
    lists: 0,
    watches: 0,
    consecutiveFailures: 0,
    failures: 0,
    watchdogAborts: { connect: 0, idle: 0, deadline: 0, list: 0 },
    lastError: undefined,
    nextAttemptAt: undefined,
    notWatchingSince: undefined,
  };
}

/** What health keeps of a failure seen at `at` (epoch ms). */
export function toErrorInfo(error: WatchError, at: number): WatchErrorInfo {
  return {
    kind: error.kind,
    code: error.code,
    ...(error.status === undefined ? {} : { status: error.status }),
    message: error.message,
    at,
  };
}

/** Where a loop is besides its counters. */
export interface ScopePosition {
  readonly namespace: string | undefined;
  readonly state: WatcherState;
  readonly synced: boolean;
  readonly resourceVersion: string | undefined;
}

/** A snapshot of one loop's health: copies, so later counting does not change it. */
export function scopeHealthSnapshot(position: ScopePosition, h: HealthCounters): ScopeHealth {
  return {
    ...position,
    lastEventAt: h.lastEventAt,
    lastBookmarkAt: h.lastBookmarkAt,
    lastListAt: h.lastListAt,
    lastList: h.lastList,
    relists: h.relists,
    reconnects: Math.max(0, h.watches - 1),
    consecutiveFailures: h.consecutiveFailures,
    failures: h.failures,
    watchdogAborts: { ...h.watchdogAborts },
    lastError: h.lastError,
    nextAttemptAt: h.nextAttemptAt,
    notWatchingSince: h.notWatchingSince,
  };
}
