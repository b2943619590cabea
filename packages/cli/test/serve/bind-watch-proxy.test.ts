import { WatchProxy, type KubeObject } from '@watch-proxy/core';
import { retryable } from '@watch-proxy/core/sink';
import { FakeSource, MemorySink } from '@watch-proxy/core/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { bindWatchProxy, probeInputOf } from '../../src/serve/bind-watch-proxy.js';
import { createMetrics } from '../../src/serve/metrics.js';
import { livenessOf, readinessOf } from '../../src/serve/probes.js';
import { timedSink } from '../../src/serve/timed-sink.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

function configMap(name: string, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid: `uid-${name}` }, data: { v: name } };
}

describe('bindWatchProxy', () => {
  it('feeds the series from a running WatchProxy: changes, emits, drops, retries, latency and queue gauges', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    const memory = new MemorySink({ name: 'echo' });
    let failures = 1;
    memory.behaviour = () => (failures-- > 0 ? retryable(new Error('503')) : { status: 'delivered' });
    const source = new FakeSource({ configmaps: [configMap('a'), configMap('b'), configMap('skip', 'kube-system')] });
    const proxy = new WatchProxy({
      resources: ['configmaps'],
      sinks: [timedSink(memory, metrics)],
      watchSource: source.factory,
      ignoreNamespaces: ['kube-system'],
      emitIntervalMs: 0,
      retry: { initialMs: 1, maxMs: 1 },
    });
    const unbind = bindWatchProxy(metrics, proxy);
    try {
      await proxy.start();
      await proxy.flush();
      expect(readinessOf(probeInputOf(proxy)).ok).toBe(true);
      expect(livenessOf(probeInputOf(proxy)).ok).toBe(true);
      const f = parsePrometheusText(await registry.metrics());
      expect(sampleValue(f, 'watch_proxy_objects_processed_count')).toBe(2);
      expect(sampleValue(f, 'watch_proxy_changes_total', { resource: 'configmaps', event: 'add' })).toBe(2);
      expect(sampleValue(f, 'watch_proxy_objects_dropped_total', { endpoint: '', reason: 'ignored-namespace' })).toBe(1);
      expect(sampleValue(f, 'watch_proxy_payloads_sent_count')).toBe(memory.batches.length);
      expect(sampleValue(f, 'watch_proxy_objects_emitted_total', { endpoint: 'echo' })).toBe(2);
      expect(sampleValue(f, 'watch_proxy_objects_retried_total', { endpoint: 'echo' })).toBeGreaterThan(0);
      expect(sampleValue(f, 'watch_proxy_send_duration_seconds_count', { endpoint: 'echo', outcome: 'retryable' })).toBe(1);
      expect(sampleValue(f, 'watch_proxy_events_received_total')).toBe(3);
      expect(sampleValue(f, 'watch_proxy_queue_depth', { endpoint: 'echo' })).toBe(0);
      expect(sampleValue(f, 'watch_proxy_emit_cache_size', { endpoint: 'echo' })).toBe(2);
    } finally {
      unbind();
      await proxy.shutdown();
    }
    // Unbound: later events no longer count, and scrapes no longer read the proxy.
    proxy.emit('change', { resource: 'configmaps', event: 'add' } as never);
    const after = parsePrometheusText(await registry.metrics());
    expect(sampleValue(after, 'watch_proxy_objects_processed_count')).toBe(2);
    expect(after.get('watch_proxy_queue_depth')?.samples).toEqual([]);
  });
});
