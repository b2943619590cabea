// With several clusters: readiness follows clusterReadiness (all or any), liveness ignores one cluster that is down,
// and the metrics carry a cluster label (and only then).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/serve/metrics.js';
import type { ResourceSnapshot } from '../../src/serve/metrics-snapshot.js';
import { livenessOf, readinessOf, type ProbeWatcherHealth } from '../../src/serve/probes.js';

function watcher(cluster: string | undefined, synced: boolean, stale = false): ProbeWatcherHealth {
  return { resource: 'pods', ...(cluster === undefined ? {} : { cluster }), state: synced ? 'watching' : 'backoff', synced, stale };
}

describe('probes with several clusters', () => {
  const oneDown = { state: 'running', watchers: [watcher('a', true), watcher('b', false, true)] };

  it('is ready with all clusters synced; with one not, only under clusterReadiness any', () => {
    expect(readinessOf({ state: 'running', watchers: [watcher('a', true), watcher('b', true)] }).ok).toBe(true);
    expect(readinessOf(oneDown)).toEqual({ ok: false, reason: 'not synced yet: b/pods' });
    expect(readinessOf(oneDown, { clusters: 'any' }).ok).toBe(true);
    expect(readinessOf({ state: 'running', watchers: [watcher('a', false), watcher('b', false)] }, { clusters: 'any' }).ok).toBe(false);
  });

  it('stays live while one cluster is down, not when every cluster is', () => {
    expect(livenessOf(oneDown).ok).toBe(true);
    expect(livenessOf({ state: 'running', watchers: [watcher('a', false, true), watcher('b', false, true)] })).toEqual({
      ok: false,
      reason: 'no open watch for too long: a/pods; b/pods',
    });
    // Without clusters, as before: the one cluster's stale watch fails liveness.
    expect(livenessOf({ state: 'running', watchers: [watcher(undefined, false, true)] }).ok).toBe(false);
  });
});

describe('metrics with several clusters', () => {
  const r = (cluster?: string): ResourceSnapshot => ({ resource: 'pods', ...(cluster === undefined ? {} : { cluster }), state: 'watching', synced: true, objects: 2, relists: 0, reconnects: 0, lastEventAt: undefined, lastListAt: undefined });
  const lane = { queued: 1, inFlight: 0, cached: 5 };

  it('labels resource and endpoint series by cluster', async () => {
    const metrics = createMetrics({ registry: new Registry(), defaultMetrics: false });
    metrics.observe({ resources: [r('a'), r('b')], endpoints: { inv: lane }, received: 7, clusters: { a: { sinks: { inv: lane }, received: 3 }, b: { sinks: { inv: { ...lane, cached: 2 } }, received: 4 } } });
    metrics.countEmitted('inv', 2, 'b');
    const text = await metrics.registry.metrics();
    expect(text).toContain('watch_proxy_watched_objects{cluster="a",resource="pods"} 2');
    expect(text).toContain('watch_proxy_watched_objects{cluster="b",resource="pods"} 2');
    expect(text).toContain('watch_proxy_emit_cache_size{cluster="b",endpoint="inv"} 2');
    expect(text).toContain('watch_proxy_events_received_total{cluster="a"} 3');
    expect(text).toContain('watch_proxy_objects_emitted_total{cluster="b",endpoint="inv"} 2');
  });

  it('exports no cluster label without clusters', async () => {
    const metrics = createMetrics({ registry: new Registry(), defaultMetrics: false });
    metrics.observe({ resources: [r()], endpoints: { inv: lane }, received: 7 });
    metrics.countEmitted('inv', 2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('watch_proxy_watched_objects{resource="pods"} 2');
    expect(text).toContain('watch_proxy_events_received_total 7');
    expect(text).not.toContain('cluster=');
  });
});
