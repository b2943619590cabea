import type { FailureKind } from '../kube/kube-api-error.js';

/** What a reflector does after a failed list or watch. */
export interface RecoveryPlan {
  /** List again before the next watch (the cached resourceVersion cannot be trusted any more). */
  readonly relist: boolean;
  /** `none`: retry at once; `backoff`: the normal backoff (cap 30 s); `degraded`: the long one (cap 5 min). */
  readonly wait: 'none' | 'backoff' | 'degraded';
  /** The state to show while waiting. */
  readonly state: 'syncing' | 'backoff' | 'degraded';
  /** How loud the log line is; an expired resourceVersion is worth a line, a silent or hung request a warning. */
  readonly log: 'debug' | 'info' | 'warn';
  /** Whether the failure is reported to the watcher's `onError` (and so counted as a watch error). */
  readonly report: boolean;
  /** After a 404: resolve the resource name again (a CRD may come back with another version). */
  readonly reresolve: boolean;
}

/**
 * The recovery policy, in one table (G4, G6, G7 of the design notes). `goneStreak` counts 410s since the last
 * watch event or bookmark, including this one.
 */
export function planRecovery(kind: FailureKind, goneStreak: number): RecoveryPlan {
  switch (kind) {
    case 'gone':
      // Never retry a stale resourceVersion: relist from a consistent read. Only a 410 right after the previous
      // relist (compaction racing us) waits, so this cannot become a tight loop.
      return goneStreak <= 1
        ? { relist: true, wait: 'none', state: 'syncing', log: 'info', report: true, reresolve: false }
        : { relist: true, wait: 'backoff', state: 'backoff', log: 'info', report: true, reresolve: false };
    case 'too-large':
      return { relist: true, wait: 'backoff', state: 'backoff', log: 'warn', report: true, reresolve: false };
    case 'forbidden':
    case 'not-found':
    case 'invalid':
      // Someone has to act (RBAC, a CRD, a selector); the cache may be gone or unreadable, so list once it works.
      return { relist: true, wait: 'degraded', state: 'degraded', log: 'warn', report: true, reresolve: kind === 'not-found' };
    case 'watchdog':
      // A silent stream or a request without headers is how a dead network path shows (a hung proxy or load
      // balancer): operators watch for it, so it is counted and logged like any other network failure.
      return { relist: false, wait: 'backoff', state: 'backoff', log: 'warn', report: true, reresolve: false };
    case 'network':
    case 'unauthorized':
    case 'throttled':
    case 'server':
    case 'protocol':
      // Watch again from the last resourceVersion: the server still has it, so no relist is needed.
      return { relist: false, wait: 'backoff', state: 'backoff', log: 'warn', report: true, reresolve: false };
  }
}
