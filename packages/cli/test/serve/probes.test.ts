import { describe, expect, it } from 'vitest';

import { livenessOf, readinessOf, type ProbeWatcherHealth } from '../../src/serve/probes.js';

const NOW = 1_000_000;

function watcher(resource: string, extra: Partial<ProbeWatcherHealth> = {}): ProbeWatcherHealth {
  return { resource, state: 'watching', synced: true, stale: false, lastError: undefined, scopes: [{ notWatchingSince: undefined }], ...extra };
}

describe('livenessOf', () => {
  it.each<[string, string, readonly ProbeWatcherHealth[], boolean, string]>([
    ['a healthy running pipeline', 'running', [watcher('pods'), watcher('nodes')], true, ''],
    ['a pipeline still starting (a big first list)', 'starting', [watcher('pods', { state: 'syncing', synced: false })], true, ''],
    ['a failed pipeline', 'failed', [watcher('pods')], false, 'the pipeline failed'],
    ['a stopped pipeline', 'stopped', [], false, 'the pipeline is stopped'],
    [
      'a stale watcher, with its last error',
      'running',
      [watcher('pods', { state: 'backoff', stale: true, lastError: { message: 'connect ECONNREFUSED' } }), watcher('nodes', { stale: true })],
      false,
      'no open watch for too long: pods (connect ECONNREFUSED); nodes',
    ],
    ['a degraded watcher (RBAC): a restart would not help', 'running', [watcher('secrets', { state: 'degraded', stale: true })], true, ''],
  ])('%s', (_name, state, watchers, ok, reason) => {
    expect(livenessOf({ state, watchers }, { now: NOW })).toEqual({ ok, reason });
  });

  it('judges staleness from the scopes when a bound is given, instead of the watcher flag', () => {
    const closed = (ms: number): ProbeWatcherHealth =>
      watcher('pods', { state: 'backoff', scopes: [{ notWatchingSince: undefined }, { notWatchingSince: NOW - ms }] });
    expect(livenessOf({ state: 'running', watchers: [closed(30_000)] }, { staleAfterMs: 30_000, now: NOW }).ok).toBe(true);
    expect(livenessOf({ state: 'running', watchers: [closed(30_001)] }, { staleAfterMs: 30_000, now: NOW })).toEqual({
      ok: false,
      reason: 'no open watch for too long: pods',
    });
  });
});

describe('readinessOf', () => {
  it.each<[string, string, readonly ProbeWatcherHealth[], boolean, string]>([
    ['every resource synced and running', 'running', [watcher('pods'), watcher('nodes')], true, ''],
    ['no resources configured yet running', 'running', [], true, ''],
    ['still starting', 'starting', [watcher('pods')], false, 'the pipeline is starting'],
    ['a resource still listing', 'running', [watcher('pods'), watcher('nodes', { synced: false, state: 'syncing' })], false, 'not synced yet: nodes'],
    [
      'a degraded resource',
      'running',
      [watcher('secrets', { synced: false, state: 'degraded', lastError: { message: '403 Forbidden' } })],
      false,
      'not synced yet: secrets (degraded: 403 Forbidden)',
    ],
    ['stopping', 'stopping', [watcher('pods')], false, 'the pipeline is stopping'],
  ])('%s', (_name, state, watchers, ok, reason) => {
    expect(readinessOf({ state, watchers })).toEqual({ ok, reason });
  });

  it('is not ready while a cluster with clusterUid has not read it (its batches wait), saying why', () => {
    const forbidden = 'clusterUid: cluster "b" forbids get on namespaces/kube-system (grant it: ...); its batches wait';
    const watchers = [watcher('pods', { cluster: 'a' }), watcher('pods', { cluster: 'b' })];
    expect(readinessOf({ state: 'running', watchers, identityWaits: [{ cluster: 'b', error: forbidden }] })).toEqual({ ok: false, reason: forbidden });
    // clusterReadiness: any: a is ready, so the daemon is.
    expect(readinessOf({ state: 'running', watchers, identityWaits: [{ cluster: 'b', error: forbidden }] }, { clusters: 'any' })).toEqual({ ok: true, reason: '' });
    expect(readinessOf({ state: 'running', watchers, identityWaits: [{ cluster: 'a' }, { cluster: 'b' }] }, { clusters: 'any' }).ok).toBe(false);
    // The daemon's own cluster, before its first answer; beside a resource still listing.
    expect(readinessOf({ state: 'running', watchers: [watcher('pods', { synced: false, state: 'syncing' })], identityWaits: [{}] })).toEqual({
      ok: false,
      reason: 'not synced yet: pods; clusterUid: the kube-system Namespace of the cluster is not read yet',
    });
    expect(readinessOf({ state: 'running', watchers: [watcher('pods')], identityWaits: [] })).toEqual({ ok: true, reason: '' });
  });
});
