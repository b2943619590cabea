import { describe, expect, it } from 'vitest';
import type { FailureKind } from '../../src/kube/kube-api-error.js';
import { planRecovery } from '../../src/watch/recovery-plan.js';

describe('planRecovery', () => {
  it.each<[FailureKind, number, string]>([
    ['network', 0, 'rewatch backoff backoff warn report'],
    ['watchdog', 0, 'rewatch backoff backoff warn report'],
    ['unauthorized', 0, 'rewatch backoff backoff warn report'],
    ['throttled', 0, 'rewatch backoff backoff warn report'],
    ['server', 0, 'rewatch backoff backoff warn report'],
    ['protocol', 0, 'rewatch backoff backoff warn report'],
    ['gone', 1, 'relist none syncing info report'],
    ['gone', 2, 'relist backoff backoff info report'],
    ['too-large', 0, 'relist backoff backoff warn report'],
    ['forbidden', 0, 'relist degraded degraded warn report'],
    ['not-found', 0, 'relist degraded degraded warn report reresolve'],
    ['invalid', 0, 'relist degraded degraded warn report'],
  ])('%s (410 streak %i): %s', (kind, streak, expected) => {
    const p = planRecovery(kind, streak);
    const text = [p.relist ? 'relist' : 'rewatch', p.wait, p.state, p.log, p.report ? 'report' : 'quiet', ...(p.reresolve ? ['reresolve'] : [])].join(' ');
    expect(text).toBe(expected);
  });
});
