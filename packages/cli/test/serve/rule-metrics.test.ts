/**
 * Per-rule metrics of the CEL rules (issue 15 item 6), fed from core's `stats().rules`, and the log of an
 * evaluation error through the daemon's own logger: once per rule and object key, never with a Secret's values.
 */
import { Writable } from 'node:stream';

import { WatchProxy, type KubeObject } from '@watch-proxy/core';
import { FakeSource, MemorySink } from '@watch-proxy/core/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import { bindWatchProxy } from '../../src/serve/bind-watch-proxy.js';
import { createMetrics } from '../../src/serve/metrics.js';
import { ruleLabels } from '../../src/serve/metrics-snapshot.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

function service(name: string, type: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { type } };
}

function secret(name: string, token: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', uid: `uid-${name}` }, data: { token } };
}

/** A stream collecting the daemon logger's JSON lines. */
function logLines(): { stream: Writable; lines: Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    get lines() {
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => text,
  };
}

describe('ruleLabels', () => {
  it('reads core rule names, resource names with slashes included', () => {
    expect(ruleLabels('resource/services/filter')).toEqual({ endpoint: '', resource: 'services', rule: 'filter' });
    expect(ruleLabels('resource/apps/v1/deployments/filter')).toEqual({ endpoint: '', resource: 'apps/v1/deployments', rule: 'filter' });
    expect(ruleLabels('sink/dns/updateFilter')).toEqual({ endpoint: 'dns', resource: '', rule: 'updateFilter' });
    expect(ruleLabels('sink/a/b/transform')).toEqual({ endpoint: 'a/b', resource: '', rule: 'transform' });
    expect(ruleLabels('other')).toBeUndefined();
    expect(ruleLabels('cluster/x/filter')).toBeUndefined();
  });
});

describe('per-rule metrics', () => {
  it('counts matched, dropped and errors per rule from a running pipeline, and keeps counting across a new pipeline', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    const run = async (services: KubeObject[]): Promise<void> => {
      const source = new FakeSource({ services });
      const proxy = new WatchProxy({
        resources: [{ name: 'services', filter: 'object.spec.type != "ExternalName"' }],
        sinks: [
          { sink: new MemorySink({ name: 'dns' }), filter: 'object.spec.type == "LoadBalancer"', transform: '{"name": object.metadata.name, "port": object.spec.ports[0].port}' },
          { sink: new MemorySink({ name: 'all' }) },
        ],
        watchSource: source.factory,
      });
      const unbind = bindWatchProxy(metrics, proxy);
      await proxy.start();
      await proxy.flush();
      await registry.metrics();
      unbind();
      await proxy.shutdown();
    };
    // a: LB without ports (the transform fails), b: LB with a port, c: ClusterIP, d: ExternalName.
    const b = { ...service('b', 'LoadBalancer'), spec: { type: 'LoadBalancer', ports: [{ port: 53 }] } };
    await run([service('a', 'LoadBalancer'), b, service('c', 'ClusterIP'), service('d', 'ExternalName')]);
    let f = parsePrometheusText(await registry.metrics());
    const value = (name: string, labels: Record<string, string>): number | undefined => sampleValue(f, `watch_proxy_rule_${name}_total`, labels);
    const resourceFilter = { endpoint: '', resource: 'services', rule: 'filter' };
    expect([value('matched', resourceFilter), value('dropped', resourceFilter), value('errors', resourceFilter)]).toEqual([3, 1, 0]);
    const dnsFilter = { endpoint: 'dns', resource: '', rule: 'filter' };
    expect([value('matched', dnsFilter), value('dropped', dnsFilter), value('errors', dnsFilter)]).toEqual([2, 1, 0]);
    const dnsTransform = { endpoint: 'dns', resource: '', rule: 'transform' };
    expect([value('matched', dnsTransform), value('dropped', dnsTransform), value('errors', dnsTransform)]).toEqual([1, 0, 1]);
    // An endpoint without rules has no rule series.
    expect(f.get('watch_proxy_rule_matched_total')?.samples.some((s) => s.labels['endpoint'] === 'all')).toBe(false);

    // A reload makes a new pipeline whose totals start at 0 again: the counters only grow.
    await run([b]);
    f = parsePrometheusText(await registry.metrics());
    expect(value('matched', dnsTransform)).toBe(2);
    expect(value('errors', dnsTransform)).toBe(1);
  });

  it('logs an evaluation error once per rule and object key through the daemon logger, never with Secret values', async () => {
    const log = logLines();
    const logger = createLogger({ level: 'info', format: 'json', stream: log.stream });
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    const source = new FakeSource({ secrets: [secret('s1', 'aHVudGVyMi1zZWNyZXQ='), secret('s2', 'c2Vjb25kLXNlY3JldA==')] });
    const sink = new MemorySink({ name: 'vault' });
    const proxy = new WatchProxy({
      // With includeSecretData the filter sees the values; the conversion fails and its message would quote them.
      resources: [{ name: 'secrets', includeSecretData: true }],
      sinks: [{ sink, filter: 'int(object.data.token) > 0 || object.data.token.startsWith(object.missing)' }],
      watchSource: source.factory,
      logger,
    });
    const unbind = bindWatchProxy(metrics, proxy);
    await proxy.start();
    await proxy.flush();
    // The same objects again (a resync): counted again, not logged again.
    source.resync('secrets');
    await proxy.flush();
    const f = parsePrometheusText(await registry.metrics());
    unbind();
    await proxy.shutdown();

    expect(sink.changes).toEqual([]);
    expect(sampleValue(f, 'watch_proxy_rule_errors_total', { endpoint: 'vault', resource: '', rule: 'filter' })).toBe(4);
    expect(sampleValue(f, 'watch_proxy_objects_dropped_total', { endpoint: 'vault', reason: 'filter-error' })).toBe(4);
    const failures = log.lines.filter((line) => line['rule'] === 'sink/vault/filter');
    expect(failures.map((line) => line['key'])).toEqual(['secrets|default/s1', 'secrets|default/s2']);
    expect(failures[0]).toMatchObject({ level: 40, msg: 'expression failed on an object: counted as not matching (filter-error)' });
    expect(log.text()).not.toContain('aHVudGVyMi1zZWNyZXQ');
    expect(log.text()).not.toContain('hunter2');
    expect(log.text()).not.toContain('c2Vjb25kLXNlY3JldA');
  });
});
