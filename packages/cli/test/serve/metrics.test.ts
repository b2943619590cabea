import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/serve/metrics.js';
import type { MetricsSnapshot, ResourceSnapshot } from '../../src/serve/metrics-snapshot.js';
import { parsePrometheusText, sampleValue, type PromFamily } from './prom-text.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function resource(name: string, extra: Partial<ResourceSnapshot> = {}): ResourceSnapshot {
  return { resource: name, state: 'watching', synced: true, objects: 3, relists: 0, reconnects: 0, lastEventAt: undefined, lastListAt: T0, ...extra };
}

async function scrape(registry: Registry): Promise<Map<string, PromFamily>> {
  return parsePrometheusText(await registry.metrics());
}

describe('the Prometheus text reader used by these tests', () => {
  it.each([
    ['a sample of an undeclared family', '# TYPE a counter\nb 1\n'],
    ['an unquoted label value', '# TYPE a gauge\na{x=1} 1\n'],
    ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['a bad value', '# TYPE a gauge\na 1,5\n'],
    ['a bad name', '# TYPE 1a gauge\n'],
    ['a missing final newline', '# TYPE a gauge\na 1'],
    ['a TYPE after samples', '# TYPE a gauge\na 1\n# TYPE a counter\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });

  it('reads labels with escapes and histogram suffixes', () => {
    const f = parsePrometheusText('# HELP h x\n# TYPE h histogram\nh_bucket{le="+Inf",p="a\\"b\\\\c"} 2\nh_sum 0.5\nh_count 2\n');
    expect(sampleValue(f, 'h_bucket', { p: 'a"b\\c' })).toBe(2);
    expect(sampleValue(f, 'h_count')).toBe(2);
  });
});

describe('createMetrics', () => {
  it('exports the original counters under their exact names, without labels and with their help texts', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    metrics.countChange('services', 'add');
    metrics.countChange('services', 'update');
    metrics.countEmitted('http://echo1/watch-proxy', 2);
    const f = await scrape(registry);
    const processed = f.get('watch_proxy_objects_processed_count');
    const sent = f.get('watch_proxy_payloads_sent_count');
    expect(processed?.type).toBe('counter');
    expect(processed?.help).toBe('Counter of Kubernetes objects processed by Quartermaster.');
    expect(processed?.samples).toEqual([{ name: 'watch_proxy_objects_processed_count', labels: {}, value: 2 }]);
    expect(sent?.type).toBe('counter');
    expect(sent?.help).toBe('Counter of payloads sent to remote endpoint by Quartermaster.');
    expect(sent?.samples).toEqual([{ name: 'watch_proxy_payloads_sent_count', labels: {}, value: 1 }]);
    // prom-client must not have appended `_total` to them.
    expect(f.has('watch_proxy_objects_processed_count_total')).toBe(false);
  });

  it('has every listed series, with its type and labels, plus the process and Node.js defaults', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, version: '1.2.3', now: () => T0 + 90_000 });
    metrics.observe({
      resources: [resource('services', { lastEventAt: T0 + 30_000, lastBookmarkAt: T0 + 75_000, relists: 2, reconnects: 5, objects: 7 })],
      endpoints: { cmdb: { queued: 4, inFlight: 2, cached: 11 } },
      received: 9,
    });
    metrics.countChange('services', 'delete');
    metrics.countEmitted('cmdb', 3);
    metrics.countDropped('cmdb', 'unchanged', 2);
    metrics.countDropped(undefined, 'filtered-event', 1);
    metrics.observeSend('cmdb', { seconds: 0.2, outcome: 'retryable', objects: 3, attempt: 1 });
    metrics.observeSend('cmdb', { seconds: 0.02, outcome: 'delivered', objects: 3, attempt: 2 });
    metrics.countWatchError('secrets', 'forbidden');
    metrics.countConfigReload('failure');
    const f = await scrape(registry);

    const expected: readonly (readonly [string, string, Record<string, string>, number])[] = [
      ['watch_proxy_events_received_total', 'counter', {}, 9],
      ['watch_proxy_changes_total', 'counter', { resource: 'services', event: 'delete' }, 1],
      ['watch_proxy_objects_emitted_total', 'counter', { endpoint: 'cmdb' }, 3],
      ['watch_proxy_objects_dropped_total', 'counter', { endpoint: 'cmdb', reason: 'unchanged' }, 2],
      ['watch_proxy_objects_dropped_total', 'counter', { endpoint: '', reason: 'filtered-event' }, 1],
      ['watch_proxy_objects_retried_total', 'counter', { endpoint: 'cmdb' }, 3],
      ['watch_proxy_queue_depth', 'gauge', { endpoint: 'cmdb' }, 4],
      ['watch_proxy_in_flight_objects', 'gauge', { endpoint: 'cmdb' }, 2],
      ['watch_proxy_emit_cache_size', 'gauge', { endpoint: 'cmdb' }, 11],
      ['watch_proxy_watch_restarts_total', 'counter', { resource: 'services' }, 5],
      ['watch_proxy_relists_total', 'counter', { resource: 'services' }, 2],
      ['watch_proxy_watch_errors_total', 'counter', { resource: 'secrets', kind: 'forbidden' }, 1],
      ['watch_proxy_seconds_since_last_event', 'gauge', { resource: 'services' }, 60],
      ['watch_proxy_seconds_since_last_bookmark', 'gauge', { resource: 'services' }, 15],
      ['watch_proxy_watcher_state', 'gauge', { resource: 'services', state: 'watching' }, 1],
      ['watch_proxy_resource_synced', 'gauge', { resource: 'services' }, 1],
      ['watch_proxy_watched_objects', 'gauge', { resource: 'services' }, 7],
      ['watch_proxy_config_reloads_total', 'counter', { result: 'failure' }, 1],
      ['watch_proxy_config_last_reload_successful', 'gauge', {}, 0],
      ['watch_proxy_build_info', 'gauge', { version: '1.2.3' }, 1],
    ];
    for (const [name, type, labels, value] of expected) {
      expect(f.get(name)?.type, name).toBe(type);
      expect(f.get(name)?.help, name).toMatch(/\S/);
      expect(sampleValue(f, name, labels), `${name}${JSON.stringify(labels)}`).toBe(value);
    }
    const latency = f.get('watch_proxy_send_duration_seconds');
    expect(latency?.type).toBe('histogram');
    expect(sampleValue(f, 'watch_proxy_send_duration_seconds_count', { endpoint: 'cmdb', outcome: 'delivered' })).toBe(1);
    expect(sampleValue(f, 'watch_proxy_send_duration_seconds_bucket', { endpoint: 'cmdb', outcome: 'delivered', le: '0.025' })).toBe(1);
    expect(sampleValue(f, 'watch_proxy_send_duration_seconds_bucket', { endpoint: 'cmdb', outcome: 'retryable', le: '0.1' })).toBe(0);
    expect(sampleValue(f, 'watch_proxy_send_duration_seconds_bucket', { endpoint: 'cmdb', outcome: 'retryable', le: '+Inf' })).toBe(1);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(f.has(name), name).toBe(true);
    }
  });

  it('reads the source once per scrape and follows resources and endpoints as they come and go', async () => {
    const registry = new Registry();
    let snapshot: MetricsSnapshot = { resources: [resource('pods'), resource('nodes')], endpoints: { a: { queued: 1, inFlight: 0, cached: 0 } } };
    let reads = 0;
    createMetrics({
      registry,
      defaultMetrics: false,
      source: () => {
        reads++;
        return snapshot;
      },
    });
    let f = await scrape(registry);
    expect(reads).toBe(1);
    expect(sampleValue(f, 'watch_proxy_resource_synced', { resource: 'nodes' })).toBe(1);

    snapshot = { resources: [resource('pods', { state: 'backoff', synced: false })], endpoints: {} };
    f = await scrape(registry);
    expect(reads).toBe(2);
    expect(f.get('watch_proxy_resource_synced')?.samples.map((s) => s.labels['resource'])).toEqual(['pods']);
    expect(f.get('watch_proxy_watcher_state')?.samples).toEqual([
      { name: 'watch_proxy_watcher_state', labels: { resource: 'pods', state: 'backoff' }, value: 1 },
    ]);
    expect(f.get('watch_proxy_queue_depth')?.samples).toEqual([]);
  });

  it('keeps counters fed from totals monotonic when the totals restart (a watcher re-created by a reload)', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    metrics.observe({ resources: [resource('pods', { relists: 4, reconnects: 10 })], endpoints: {}, received: 100 });
    metrics.observe({ resources: [resource('pods', { relists: 6, reconnects: 10 })], endpoints: {}, received: 120 });
    // A new watcher (and a new proxy) count from 0 again.
    metrics.observe({ resources: [resource('pods', { relists: 1, reconnects: 2 })], endpoints: {}, received: 5 });
    const f = await scrape(registry);
    expect(sampleValue(f, 'watch_proxy_relists_total', { resource: 'pods' })).toBe(7);
    expect(sampleValue(f, 'watch_proxy_watch_restarts_total', { resource: 'pods' })).toBe(12);
    expect(sampleValue(f, 'watch_proxy_events_received_total')).toBe(125);
  });

  it('omits seconds since the last event until a resource was listed, and uses the later of event and list', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false, now: () => T0 + 10_000 });
    metrics.observe({
      resources: [
        resource('pods', { lastListAt: undefined, synced: false }),
        resource('nodes', { lastListAt: T0 + 4_000, lastEventAt: T0 + 1_000 }),
      ],
      endpoints: {},
    });
    const f = await scrape(registry);
    expect(f.get('watch_proxy_seconds_since_last_event')?.samples).toEqual([
      { name: 'watch_proxy_seconds_since_last_event', labels: { resource: 'nodes' }, value: 6 },
    ]);
    // No bookmark seen yet on either resource: the series is absent rather than a misleading 0.
    expect(f.get('watch_proxy_seconds_since_last_bookmark')?.samples ?? []).toEqual([]);
  });

  it('escapes label values that need it, so endpoint names with quotes or backslashes stay parseable', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    metrics.countEmitted('odd "name" \\ here', 1);
    const f = await scrape(registry);
    expect(sampleValue(f, 'watch_proxy_objects_emitted_total', { endpoint: 'odd "name" \\ here' })).toBe(1);
  });

  it('reports a successful reload as 1 again after a failure', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    expect(sampleValue(await scrape(registry), 'watch_proxy_config_last_reload_successful')).toBe(1);
    metrics.countConfigReload('failure');
    metrics.countConfigReload('success');
    const f = await scrape(registry);
    expect(sampleValue(f, 'watch_proxy_config_last_reload_successful')).toBe(1);
    expect(sampleValue(f, 'watch_proxy_config_reloads_total', { result: 'success' })).toBe(1);
  });
});
