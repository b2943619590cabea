import type { ResourceRef } from '../types.js';
import type { ScopeHealth, WatchErrorInfo, WatcherState } from './scope-health.js';

/** Health of one resource's watcher, for readiness (`synced`), liveness (`stale`) and metrics. Times are epoch ms. */
export interface WatcherHealth {
  /** The configured name. */
  readonly resource: string;
  /** Where discovery resolved it; undefined until it has. */
  readonly ref: ResourceRef | undefined;
  /** The worst state of its scopes (`degraded` > `backoff` > `syncing` > `watching`), or the resolution state. */
  readonly state: WatcherState;
  /** True once every scope finished its first complete list (readiness). Stays true. */
  readonly synced: boolean;
  /** True when some scope has had no open watch for `staleAfterMs` (liveness). False when idle or stopped. */
  readonly stale: boolean;
  /** The current resourceVersion of a single (cluster-wide) scope; undefined with several namespaces. */
  readonly resourceVersion: string | undefined;
  readonly lastEventAt: number | undefined;
  readonly lastBookmarkAt: number | undefined;
  readonly lastListAt: number | undefined;
  /** Sums over scopes. */
  readonly relists: number;
  readonly reconnects: number;
  readonly failures: number;
  /** The maximum over scopes. */
  readonly consecutiveFailures: number;
  /** Exceptions thrown by handlers (isolated: logged and counted, never fatal). */
  readonly handlerErrors: number;
  /** Objects in the cache. */
  readonly objects: number;
  /** The most recent error of any scope (or of discovery), cleared by a successful list. */
  readonly lastError: WatchErrorInfo | undefined;
  /** One entry per list+watch loop: per namespace, or a single cluster-wide one. */
  readonly scopes: readonly ScopeHealth[];
}

/** What a watcher knows besides its scopes' health, to report its own. Times are epoch ms. */
export interface WatcherHealthInput {
  readonly resource: string;
  readonly ref: ResourceRef | undefined;
  readonly stopped: boolean;
  /** One per running list+watch loop; none while the configured name is not resolved yet. */
  readonly scopes: readonly ScopeHealth[];
  /** Where the resolution of the configured name is, while no scope runs. */
  readonly resolveState: WatcherState;
  readonly resolveError: WatchErrorInfo | undefined;
  /** Since when the name has been resolved (the staleness of a watcher that never got a scope). */
  readonly resolveSince: number | undefined;
  readonly staleAfterMs: number;
  readonly now: number;
  readonly handlerErrors: number;
  readonly objects: number;
}

const STATE_RANK: Readonly<Record<WatcherState, number>> = { stopped: 6, degraded: 5, backoff: 4, syncing: 3, watching: 2, idle: 1 };

/** One watcher's health from its scopes': the worst state, sums and maxima, the latest error. */
export function combineHealth(input: WatcherHealthInput): WatcherHealth {
  const { scopes, now } = input;
  const max = (pick: (s: ScopeHealth) => number | undefined): number | undefined =>
    scopes.reduce<number | undefined>((m, s) => {
      const v = pick(s);
      return v === undefined ? m : m === undefined ? v : Math.max(m, v);
    }, undefined);
  const sum = (pick: (s: ScopeHealth) => number): number => scopes.reduce((n, s) => n + pick(s), 0);
  let state: WatcherState;
  let lastError: WatchErrorInfo | undefined;
  let stale: boolean;
  if (input.stopped) {
    state = 'stopped';
    stale = false;
  } else if (scopes.length === 0) {
    state = input.resolveState;
    lastError = input.resolveError;
    stale = input.resolveSince !== undefined && now - input.resolveSince > input.staleAfterMs;
  } else {
    state = scopes.reduce<WatcherState>((w, s) => (STATE_RANK[s.state] > STATE_RANK[w] ? s.state : w), 'idle');
    stale = scopes.some((s) => s.notWatchingSince !== undefined && now - s.notWatchingSince > input.staleAfterMs);
  }
  for (const s of scopes) if (s.lastError !== undefined && (lastError === undefined || s.lastError.at > lastError.at)) lastError = s.lastError;
  return {
    resource: input.resource,
    ref: input.ref,
    state,
    synced: scopes.length > 0 && scopes.every((s) => s.synced),
    stale,
    resourceVersion: scopes.length === 1 ? scopes[0]!.resourceVersion : undefined,
    lastEventAt: max((s) => s.lastEventAt),
    lastBookmarkAt: max((s) => s.lastBookmarkAt),
    lastListAt: max((s) => s.lastListAt),
    relists: sum((s) => s.relists),
    reconnects: sum((s) => s.reconnects),
    failures: sum((s) => s.failures),
    consecutiveFailures: max((s) => s.consecutiveFailures) ?? 0,
    handlerErrors: input.handlerErrors,
    objects: input.objects,
    lastError,
    scopes,
  };
}
