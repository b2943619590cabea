/**
 * Issue 18's "Checked by" for Kafka, with the built daemon against a real apiserver and a real Kafka broker: after
 * creates, updates, deletes, a `kill -9` of the daemon and its restart, and a broker crash and restart in the middle
 * of a stream of changes, a consumer that reads the compacted topic from the beginning holds exactly the cluster's
 * objects (each in its current version): nothing lost, deleted objects gone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startKafka } from '@watch-proxy/test-brokers';
import type { TestBroker } from '@watch-proxy/test-brokers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { clusterInventory, converge, kafkaInventory } from './broker-inventory.js';
import { parsePrometheusText, useE2eFile } from './harness.js';

/** Two daemons, a broker restart and a dozen convergence rounds, on a loaded 2-core machine. */
const E2E_TIMEOUT_MS = 420_000;
const NS = 'kafka-e2e';
const TOPIC = 'inventory';
const ENDPOINT = `kafka:${TOPIC}`;

const file = useE2eFile('wp-kafka-e2e-');
let kafka: TestBroker | undefined;
beforeAll(async () => {
  kafka = await startKafka();
});
afterAll(async () => {
  await kafka?.stop();
});

const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => file.cluster.requestOk(method, path, body);
const cm = (name: string): Promise<unknown> =>
  must('POST', `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v: '0' } });
const update = (name: string, v: string): Promise<unknown> =>
  must('PUT', `/api/v1/namespaces/${NS}/configmaps/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { v } });
const remove = (name: string): Promise<unknown> => must('DELETE', `/api/v1/namespaces/${NS}/configmaps/${name}`);

describe('a kafka endpoint on a real broker', () => {
  it('the compacted topic holds exactly the cluster after changes, a daemon kill -9 and a broker restart mid-stream', async () => {
    const broker = kafka!;
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const configPath = join(file.dir, 'kafka.yaml');
    writeFileSync(
      configPath,
      [
        'clusterName: e2e',
        'emitBatchMaxObjects: 10',
        `stateDir: ${join(file.dir, 'state')}`,
        'prometheusMetrics: {port: 0}',
        'remoteEndpoints:',
        '- type: kafka',
        `  brokers: [${broker.address}]`,
        `  topic: ${TOPIC}`,
        '  createTopics: true',
        '  timeout: 5s',
        'resources:',
        '- name: configmaps',
        `  namespaces: [${NS}]`,
        '',
      ].join('\n'),
    );
    const daemon = () => file.daemon(['-c', configPath, '--kubeconfig', file.cluster.kubeconfigPath]);
    const expected = () => clusterInventory(file.cluster, NS, 'e2e');
    const topic = () => kafkaInventory(broker.address, TOPIC);
    const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_v, i) => `${prefix}-${String(i)}`);

    // Creates, then updates and deletes.
    for (const name of names('a', 8)) await cm(name);
    const first = daemon();
    await converge('the first objects', expected, topic);
    await update('a-0', '1');
    await update('a-1', '1');
    await remove('a-2');
    await remove('a-3');
    await cm('b-0');
    await converge('updates, deletes and a create', expected, topic);

    // kill -9 right after deliveries; changes while it is down (deletes of objects it had just delivered included).
    for (const name of names('k', 5)) await cm(name);
    const delivered = await converge('the objects before the kill', expected, topic);
    expect(delivered.size).toBe(12);
    first.signal('SIGKILL');
    await first.exited;
    await remove('k-0');
    await remove('k-1');
    await remove('a-4');
    await update('a-5', '2');
    await cm('c-0');
    const second = daemon();
    await converge('the changes made while the daemon was down', expected, topic);

    // The broker crashes in the middle of a stream of changes and comes back on the same address.
    for (const name of names('d', 5)) await cm(name);
    await broker.kill('SIGKILL');
    for (const name of names('e', 5)) await cm(name);
    await update('d-0', '3');
    await remove('d-1');
    await remove('a-6');
    await broker.start();
    for (const name of names('f', 3)) await cm(name);
    await update('e-0', '4');
    await remove('e-1');
    const final = await converge('every change across the broker restart', expected, topic);
    expect(final.size).toBe((await expected()).size);

    // Per-endpoint metrics name the kafka endpoint like an HTTP one.
    const serving = await second.waitForLog('serving metrics and probes');
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${String(serving['metricsPort'])}/metrics`)).text());
    expect(metrics.get(`watch_proxy_objects_emitted_total{endpoint="${ENDPOINT}"}`)).toBeGreaterThan(0);
    expect(metrics.get(`watch_proxy_send_duration_seconds_count{endpoint="${ENDPOINT}",outcome="delivered"}`)).toBeGreaterThan(0);

    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});
