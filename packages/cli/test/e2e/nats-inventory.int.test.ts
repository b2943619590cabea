/**
 * Issue 18's "Checked by" for NATS, with the built daemon against a real apiserver and a real nats-server
 * (JetStream): after creates, updates, deletes, a `kill -9` of the daemon and its restart, and a server crash and
 * restart in the middle of a stream of changes, the KV bucket holds exactly the cluster's objects (each in its
 * current version): nothing lost, deleted objects gone. Then a hot reload adds an endpoint in the CloudEvents
 * format, which ends holding the cluster too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startNats } from '@watch-proxy/test-brokers';
import type { TestBroker } from '@watch-proxy/test-brokers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { clusterInventory, converge, natsInventory, natsValue } from './broker-inventory.js';
import { parsePrometheusText, useE2eFile } from './harness.js';

/** Two daemons, a server restart and a dozen convergence rounds, on a loaded 2-core machine. */
const E2E_TIMEOUT_MS = 300_000;
const NS = 'nats-e2e';
const BUCKET = 'inventory';
const ENDPOINT = 'nats-inventory';

const file = useE2eFile('wp-nats-e2e-');
let nats: TestBroker | undefined;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => file.cluster.requestOk(method, path, body);
const cm = (name: string): Promise<unknown> =>
  must('POST', `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v: '0' } });
const update = (name: string, v: string): Promise<unknown> =>
  must('PUT', `/api/v1/namespaces/${NS}/configmaps/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v } });
const remove = (name: string): Promise<unknown> => must('DELETE', `/api/v1/namespaces/${NS}/configmaps/${name}`);

describe('a nats endpoint on a real server', () => {
  it('the KV bucket holds exactly the cluster after changes, a daemon kill -9 and a server restart mid-stream', async () => {
    const server = nats!;
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const configPath = join(file.dir, 'nats.yaml');
    writeFileSync(
      configPath,
      [
        'clusterName: e2e',
        'emitBatchMaxObjects: 10',
        `stateDir: ${join(file.dir, 'state')}`,
        'prometheusMetrics: {port: 0}',
        'remoteEndpoints:',
        '- type: nats',
        `  name: ${ENDPOINT}`,
        `  url: ${server.address}`,
        '  subject: k8s',
        '  createStream: true',
        `  kvBucket: ${BUCKET}`,
        '  createKvBucket: true',
        '  timeout: 5s',
        'resources:',
        '- name: configmaps',
        `  namespaces: [${NS}]`,
        '',
      ].join('\n'),
    );
    const daemon = () => file.daemon(['-c', configPath, '--kubeconfig', file.cluster.kubeconfigPath]);
    const expected = () => clusterInventory(file.cluster, NS, 'e2e');
    const bucket = () => natsInventory(server.address, BUCKET);
    const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_v, i) => `${prefix}-${String(i)}`);

    // Creates, then updates and deletes.
    for (const name of names('a', 8)) await cm(name);
    const first = daemon();
    await converge('the first objects', expected, bucket);
    await update('a-0', '1');
    await update('a-1', '1');
    await remove('a-2');
    await remove('a-3');
    await cm('b-0');
    await converge('updates, deletes and a create', expected, bucket);

    // kill -9 right after deliveries; changes while it is down (deletes of objects it had just delivered included).
    for (const name of names('k', 5)) await cm(name);
    const delivered = await converge('the objects before the kill', expected, bucket);
    expect(delivered.size).toBe(12);
    first.signal('SIGKILL');
    await first.exited;
    await remove('k-0');
    await remove('k-1');
    await remove('a-4');
    await update('a-5', '2');
    await cm('c-0');
    const second = daemon();
    await converge('the changes made while the daemon was down', expected, bucket);

    // The server crashes in the middle of a stream of changes and comes back on the same address.
    for (const name of names('d', 5)) await cm(name);
    await server.kill('SIGKILL');
    for (const name of names('e', 5)) await cm(name);
    await update('d-0', '3');
    await remove('d-1');
    await remove('a-6');
    await server.start();
    for (const name of names('f', 3)) await cm(name);
    await update('e-0', '4');
    await remove('e-1');
    const final = await converge('every change across the server restart', expected, bucket);
    expect(final.size).toBe((await expected()).size);

    // Hot reload adds a second nats endpoint sending CloudEvents (structured mode) to a bucket of its own: it gets
    // the whole cluster, and the first endpoint keeps going.
    const config = readFileSync(configPath, 'utf8');
    const resources = config.indexOf('resources:');
    writeFileSync(
      configPath,
      config.slice(0, resources) +
        ['- type: nats', '  name: nats-events', `  url: ${server.address}`, '  subject: k8sce', '  format: cloudevents', '  stream: EVENTS', '  createStream: true', '  kvBucket: events', '  createKvBucket: true', ''].join('\n') +
        config.slice(resources),
    );
    second.signal('SIGHUP');
    await second.waitForLog('config reloaded');
    await cm('g-0');
    await remove('f-0');
    const events = await converge('the endpoint added by a reload', expected, () => natsInventory(server.address, 'events'));
    await converge('the first endpoint after the reload', expected, bucket);
    const anEvent = await natsValue(server.address, 'events', events.keys().next().value!);
    expect(JSON.parse(anEvent)).toMatchObject({ specversion: '1.0', source: 'e2e', datacontenttype: 'application/json' });

    // Per-endpoint metrics name the nats endpoint like an HTTP one.
    const serving = await second.waitForLog('serving metrics and probes');
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${String(serving['metricsPort'])}/metrics`)).text());
    expect(metrics.get(`watch_proxy_objects_emitted_total{endpoint="${ENDPOINT}"}`)).toBeGreaterThan(0);
    expect(metrics.get(`watch_proxy_send_duration_seconds_count{endpoint="${ENDPOINT}",outcome="delivered"}`)).toBeGreaterThan(0);

    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});
