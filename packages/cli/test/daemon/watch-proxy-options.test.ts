import { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy, silentLogger } from '@watch-proxy/core';
import { FakeSource } from '@watch-proxy/core/testing';
import type { SinkOptions } from '@watch-proxy/core';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import type { WatchProxyConfig } from '../../src/config/index.js';
import { toWatchProxyOptions } from '../../src/watch-proxy-options.js';
import type { RuntimeOptions } from '../../src/watch-proxy-options.js';

function load(text: string, env: Record<string, string> = {}): WatchProxyConfig {
  const result = parseConfig(text, 'c.yaml', { env });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const runtime: RuntimeOptions = { kubeConfig: new KubeConfig(), stateDir: '/state', logger: silentLogger, dryRun: false, env: { U: 'user\n', P: 'pw', TOKEN: 't0k' } };

const CONFIG = `
clusterName: c1
emitInterval: 2
emitBatchMaxObjects: 7
emitCacheDuration: 1m
forceReuploadDuration: 1h
reconcileInterval: 30m
streamingList: true
delayAddEventDuration: 5s
shutdownGracePeriod: 3s
ignoreNamespaces: [kube-system]
metadata: { region: east }
remoteEndpoints:
- url: http://127.0.0.1:1/a
  usernameVar: U
  passwordVar: P
  namespaces: [ns1]
  resourceTypes: [services]
  headers: { X-Token: "\${TOKEN}" }
- type: vro
  url: http://127.0.0.1:1/vro
resources:
- name: services
  assetId: svc
  pruneFields: [metadata.annotations]
  filterEvents: [update]
  labelSelector: app=web
  namespaces: [ns1, ns2]
- name: nodes
`;

describe('toWatchProxyOptions', () => {
  it('maps every pipeline key, durations already in ms', () => {
    const options = toWatchProxyOptions(load(CONFIG, runtime.env as Record<string, string>), runtime);
    expect(options).toMatchObject({
      clusterName: 'c1',
      emitIntervalMs: 2000,
      emitBatchMaxObjects: 7,
      emitCacheDurationMs: 60_000,
      delayAddEventMs: 5000,
      shutdownTimeoutMs: 3000,
      ignoreNamespaces: ['kube-system'],
      stateDir: '/state',
    });
    expect(options.resources[0]).toEqual({
      name: 'services',
      assetId: 'svc',
      pruneFields: ['metadata.annotations'],
      filterEvents: ['update'],
      includeSecretData: false,
      includeManagedFields: false,
      resyncMs: 3_600_000,
      reconcileMs: 1_800_000,
      streamingList: true,
      labelSelector: 'app=web',
      fieldSelector: undefined,
      namespaces: ['ns1', 'ns2'],
    });
    expect(options.resources[1]).toMatchObject({ name: 'nodes', namespaces: undefined, resyncMs: 3_600_000, reconcileMs: 1_800_000, streamingList: true });
    const sinks = options.sinks as SinkOptions[];
    expect(sinks.map((s) => [s.sink.name, s.namespaces, s.resourceTypes])).toEqual([
      ['127.0.0.1:1-950c1a68', ['ns1'], ['services']],
      ['127.0.0.1:1-1c5d5dca', [], []],
    ]);
  });

  it('passes the CEL keys to core, which compiles them into its rules', () => {
    const config = load(
      [
        'resources:',
        '- name: services',
        '  filter: object.spec.type == "LoadBalancer"',
        'remoteEndpoints:',
        '- url: http://127.0.0.1:1/a',
        '  name: dns',
        '  filter: resource == "services"',
        '  updateFilter: object.status != oldObject.status',
        '  transform: \'{"name": object.metadata.name}\'',
        '- url: http://127.0.0.1:1/b',
        '  name: all',
        '',
      ].join('\n'),
    );
    const options = toWatchProxyOptions(config, runtime);
    expect(options.resources[0]).toMatchObject({ name: 'services', filter: 'object.spec.type == "LoadBalancer"' });
    const sinks = options.sinks as SinkOptions[];
    expect(sinks[0]).toMatchObject({ filter: 'resource == "services"', updateFilter: 'object.status != oldObject.status', transform: '{"name": object.metadata.name}' });
    expect(sinks[1]).toMatchObject({ filter: undefined, updateFilter: undefined, transform: undefined });
    const proxy = new WatchProxy({ ...options, kubeConfig: undefined, watchSource: new FakeSource().factory });
    expect(Object.keys(proxy.stats().rules).sort()).toEqual(['resource/services/filter', 'sink/dns/filter', 'sink/dns/transform', 'sink/dns/updateFilter']);
  });

  it('prints to stdout when there are no endpoints, and under --dry-run instead of every endpoint', () => {
    const none = toWatchProxyOptions(load('resources: [{ name: pods }]\n'), runtime).sinks as SinkOptions[];
    expect(none.map((s) => s.sink.name)).toEqual(['stdout']);
    const dry = toWatchProxyOptions(load(CONFIG, runtime.env as Record<string, string>), { ...runtime, dryRun: true }).sinks as SinkOptions[];
    expect(dry.map((s) => s.sink.name)).toEqual(['stdout']);
  });

  it('passes since when each resource is watched (kept across reloads) through, for the add delay', () => {
    const watchedSince = new Map([['pods', 1234]]);
    expect(toWatchProxyOptions(load('resources: [{ name: pods }]\n'), { ...runtime, watchedSince }).watchedSince).toBe(watchedSince);
  });

  it('passes the watchdog bounds (WATCH_PROXY_TEST_WATCHDOGS) through, and leaves them to core without it', () => {
    const watchdogs = { idleTimeoutMs: 2_000 };
    expect(toWatchProxyOptions(load('resources: [{ name: pods }]\n'), { ...runtime, watchdogs }).watchdogs).toBe(watchdogs);
    expect(toWatchProxyOptions(load('resources: [{ name: pods }]\n'), runtime).watchdogs).toBeUndefined();
  });

  it('passes the leader election gate and shared cache through', () => {
    const gate = { open: false, onChange: () => () => {} };
    const sharedCache = { load: () => Promise.resolve(new Map()), save: () => Promise.resolve() } as never;
    const options = toWatchProxyOptions(load('resources: [{ name: pods }]\n'), { ...runtime, gate, sharedCache });
    expect(options.gate).toBe(gate);
    expect(options.sharedCache).toBe(sharedCache);
  });

  it('refuses to build an endpoint whose credential variable is gone, naming it without a value', () => {
    const config = load(CONFIG, runtime.env as Record<string, string>);
    expect(() => toWatchProxyOptions(config, { ...runtime, env: { P: 'pw', TOKEN: 't' } })).toThrow(/\bU\b/);
  });
});
