/**
 * The built daemon against a real apiserver and real loopback receivers (issue 6's "Checked by"): the original's
 * example config with a least-privilege token, a 403, metrics and probes, hot reload, and SIGTERM during a burst.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { defaultEndpointName } from '../../src/config/to-config.js';
import { parsePrometheusText, useE2eFile } from './harness.js';
import type { ReceivedItem } from './harness.js';

/** Per test: each starts a few daemons; on a loaded 2-core CI machine they take several times longer. */
const E2E_TIMEOUT_MS = 240_000;

const RBAC = fileURLToPath(new URL('../../../../examples/rbac.yaml', import.meta.url));

const file = useE2eFile('wp-daemon-e2e-');
const { dir, receiver } = file;
const daemon = file.daemon;


const must = (method: string, path: string, body?: unknown, contentType?: string): Promise<Record<string, unknown>> =>
  file.cluster.requestOk(method, path, body, contentType === undefined ? {} : { contentType });

const createNamespace = (name: string): Promise<unknown> => must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const createService = (ns: string, name: string): Promise<Record<string, unknown>> =>
  must('POST', `/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { ports: [{ port: 80 }] },
  });
const createConfigMap = (ns: string, name: string): Promise<Record<string, unknown>> =>
  must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: name } });

/** Replaces `file` at once (write + rename, as editors and kubelet do): a reader never sees it half written. */
function replaceFile(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** A small config of the tests below, in the new key style. */
function smallConfig(options: {
  url: string;
  resources: readonly string[];
  namespace: string;
  stateDir: string;
  stage?: string;
  batch?: number;
  grace?: string;
  extra?: string;
}): string {
  return [
    options.extra ?? '',
    'clusterName: e2e',
    'emitInterval: 1s',
    `emitBatchMaxObjects: ${String(options.batch ?? 10)}`,
    `shutdownGracePeriod: ${options.grace ?? '30s'}`,
    `stateDir: ${options.stateDir}`,
    'metadata:',
    `  stage: ${options.stage ?? 'one'}`,
    'remoteEndpoints:',
    `- url: ${options.url}`,
    'resources:',
    ...options.resources.map((name) => `- name: ${name}
  namespaces: [${options.namespace}]`),
    '',
  ].join('\n');
}

const names = (items: readonly ReceivedItem[]): string[] => items.map((i) => i.data.metadata.name);

/** The metric sample whose name is `name` and whose labels include `labels`; undefined when absent. */
function sample(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
}

async function scrape(port: number, path = '/metrics'): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${String(port)}${path}`);
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

/** `(uniqueId, event)` pairs that arrived more than once: duplicate sends. */
function duplicates(items: readonly ReceivedItem[]): string[] {
  const seen = new Map<string, number>();
  for (const item of items) seen.set(`${item.uniqueId} ${item.event}`, (seen.get(`${item.uniqueId} ${item.event}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

/**
 * The original's examples/watch-proxy-config.yaml content (spec 2.5), verbatim except: the two endpoint URLs
 * point at loopback receivers, and the fixed ports 9595/8080 are 0 (free ports; the machine is shared).
 */
function originalExampleConfig(echo1: string, echo2: string, extraResource = ''): string {
  return `clusterName: "dev-cluster"
emitCacheDuration: 14400m
emitBatchMaxObjects: 10
emitInterval: 1
# Minutes watch-proxy should wait before attempting to re-process all objects inside of kubernetes.
forceReuploadDuration: 500h
prometheusMetrics:
  port: 0
  path: /metrics
httpLiveness:
  port: 0
  path: /live
remoteEndpoints:
- type: http
  url: ${echo1}
  usernameVar: USERNAME1
  passwordVar: PASSWORD1
  namespaces:
  - tanzu-watch-proxy
  # Resource types must be defined as in spec.names.plural of the resource you want to watch
  resourceTypes:
  - services
- type: http
  url: ${echo2}
  usernameVar: USERNAME2
  passwordVar: PASSWORD2
#- type: vro
#  url: https://vro.example.com/vco/api/workflows/<workflow_id>/executions
#  usernameVar: USERNAME2
#  passwordVar: PASSWORD2
#  resourceTypes:
#  - namespaces
metadata:
  platform: baremetal
  region: east
resources:
- name: services
  assetId: svc
  pruneFields:
  - metadata.resourceVersion
  - metadata.generation
  - metadata.annotations
  - status.observedGeneration
- name: namespaces
  assetId: ns
  pruneFields:
  - metadata.resourceVersion
  - metadata.generation
  - metadata.annotations
  - status.observedGeneration
- name: nodes
  assetId: no
  filterEvents:
  - update
${extraResource}`;
}

describe('the daemon on a real apiserver', () => {
  it("runs the original's example config with the least-privilege RBAC from examples/; a resource outside the role is a clear 403", async () => {
    const echo1 = await receiver();
    const echo2 = await receiver();
    await createNamespace('tanzu-watch-proxy');
    await createNamespace('watch-proxy');
    const applied = await file.cluster.kubectl(['apply', '-f', RBAC]);
    expect(applied.code, applied.stderr).toBe(0);
    const { kubeconfigPath } = await file.cluster.mintToken({ namespace: 'watch-proxy', serviceAccount: 'watch-proxy', clusterRole: 'watch-proxy' });
    const config = join(dir, 'original.yaml');
    writeFileSync(config, originalExampleConfig(echo1.url(), echo2.url()));
    // The Secrets' values end in a newline, as in the original's examples: it is stripped.
    const env = { USERNAME1: 'user1\n', PASSWORD1: 'pass1\n', USERNAME2: 'user2\n', PASSWORD2: 'pass2\n' };
    const d = daemon(['-c', config, '-kubeconfig', kubeconfigPath], env);
    const serving = await d.waitForLog('serving metrics and probes');
    const port = serving['livenessPort'] as number;
    expect(serving['metricsPort']).toBe(port);
    await d.waitForLog('initial sync done');

    const svc = await createService('tanzu-watch-proxy', 'probe-svc');
    const uid = (svc['metadata'] as { uid: string }).uid;
    await waitFor(() => echo1.about('probe-svc').length > 0 && echo2.about('probe-svc').length > 0, 'the Service at both receivers');
    for (const [r, user] of [[echo1, 'user1:pass1'], [echo2, 'user2:pass2']] as const) {
      const [item] = r.about('probe-svc');
      expect(Object.keys(item!).slice(0, 4)).toEqual(['asset_type_id', 'data', 'uniqueId', 'event']);
      expect(item).toMatchObject({ asset_type_id: 'svc', uniqueId: `dev-cluster-${uid}`, event: 'add' });
      expect(item!.data.metadata.uniqueId).toBe(`dev-cluster-${uid}`);
      expect(item!.data.metadata).not.toHaveProperty('resourceVersion');
      expect(item!.meta).toEqual({ cluster: 'dev-cluster', platform: 'baremetal', region: 'east' });
      expect(item!.authorization).toBe(`Basic ${Buffer.from(user).toString('base64')}`);
    }
    // echo1 routes services in tanzu-watch-proxy only: the namespaces and the default kubernetes Service went to echo2.
    expect(echo1.items().every((i) => i.asset_type_id === 'svc' && i.data.metadata.namespace === 'tanzu-watch-proxy')).toBe(true);
    expect(echo2.items().some((i) => i.asset_type_id === 'ns')).toBe(true);

    // Nodes: an add is sent, an update is filtered (counted as a drop before routing, never sent).
    await must('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    await waitFor(() => echo2.about('node-a').length === 1, 'the node add at echo2');
    const before = sample(await scrape(port), 'watch_proxy_objects_dropped_total', { endpoint: '', reason: 'filtered-event' }) ?? 0;
    await must('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { patched: 'yes' } } }, 'application/merge-patch+json');
    await waitFor(
      async () => (sample(await scrape(port), 'watch_proxy_objects_dropped_total', { endpoint: '', reason: 'filtered-event' }) ?? 0) > before,
      'the node update counted as filtered',
    );
    // A later Service, behind the update in the pipeline, arrives; the update never does.
    await createService('tanzu-watch-proxy', 'after-node-update');
    await waitFor(() => echo2.about('after-node-update').length > 0, 'a Service sent after the node update');
    expect(echo2.about('node-a').map((i) => i.event)).toEqual(['add']);

    // Metrics parse as Prometheus text and carry the original's counters and the labelled series; probes pass.
    const samples = await scrape(port);
    expect(sample(samples, 'watch_proxy_objects_processed_count')).toBeGreaterThan(0);
    expect(sample(samples, 'watch_proxy_payloads_sent_count')).toBeGreaterThan(0);
    expect(sample(samples, 'watch_proxy_objects_emitted_total', { endpoint: defaultEndpointName(echo1.url()) })).toBeGreaterThan(0);
    expect(sample(samples, 'watch_proxy_resource_synced', { resource: 'nodes' })).toBe(1);
    expect(sample(samples, 'process_cpu_user_seconds_total')).toBeDefined();
    for (const path of ['/live', '/ready']) {
      const res = await fetch(`http://127.0.0.1:${String(port)}${path}`);
      expect([path, res.status, await res.text()]).toEqual([path, 200, 'OK\n']);
    }

    // Hot reload adds configmaps, which the role does not grant: a clear 403 in logs and metrics, /ready says
    // so, and the granted resources keep flowing.
    writeFileSync(config, originalExampleConfig(echo1.url(), echo2.url(), '- name: configmaps\n  assetId: cm\n'));
    await waitFor(
      () => d.logs.some((l) => l['code'] === 'WP_ERR_WATCH_FORBIDDEN' && /configmaps/.test(String(l['err'])) && /forbidden/i.test(String(l['err']))),
      `a 403 for configmaps in the logs\n${d.stderr.slice(-3000)}`,
    );
    await waitFor(async () => (sample(await scrape(port), 'watch_proxy_watch_errors_total', { resource: 'configmaps', kind: 'forbidden' }) ?? 0) >= 1, 'the 403 in metrics', 30_000, 50);
    // The reloaded pipeline answers "starting" until its start settles, which on a loaded machine can come after
    // the 403 is logged and counted: wait for /ready to name the resource, then check what it says.
    let ready = { status: 0, text: '' };
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${String(port)}/ready`);
        ready = { status: res.status, text: await res.text() };
        return ready.text.includes('configmaps');
      },
      '/ready to name configmaps',
      30_000,
      50,
    );
    expect(ready.status).toBe(503);
    expect(ready.text).toContain('configmaps');
    await createService('tanzu-watch-proxy', 'after-403');
    await waitFor(() => echo1.about('after-403').length > 0 && echo2.about('after-403').length > 0, 'services still flowing');
    expect(duplicates(echo1.items())).toEqual([]);
    expect(duplicates(echo2.items())).toEqual([]);
    expect(d.stderr).not.toMatch(/pass[12]|user[12]/);

    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('--dry-run prints the payloads to stdout, one JSON document per line, and POSTs nothing', async () => {
    const ns = 'dry-run-e2e';
    await createNamespace(ns);
    const echo1 = await receiver();
    const echo2 = await receiver();
    const config = join(dir, 'dry-run.yaml');
    replaceFile(config, originalExampleConfig(echo1.url(), echo2.url()));
    const env = { USERNAME1: 'u', PASSWORD1: 'p', USERNAME2: 'u', PASSWORD2: 'p' };
    const d = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath, '--dry-run'], env);
    await d.waitForLog('initial sync done');
    await createService(ns, 'dry-svc');
    await waitFor(() => d.stdout.includes('"name":"dry-svc"'), 'the Service on stdout');
    const lines = d.stdout.split('\n').filter((line) => line !== '');
    const docs = lines.map((line) => JSON.parse(line) as { data: { asset_type_id: string; data: { metadata: { name: string } } }[]; meta: unknown });
    expect(docs.every((doc) => Array.isArray(doc.data) && doc.data.length > 0)).toBe(true);
    expect(docs[0]!.meta).toEqual({ cluster: 'dev-cluster', platform: 'baremetal', region: 'east' });
    expect(docs.flatMap((doc) => doc.data).find((item) => item.data.metadata.name === 'dry-svc')?.asset_type_id).toBe('svc');
    expect(echo1.requests.length + echo2.requests.length).toBe(0);
    // `--dry-run | head`: once the reader is gone, the next payload ends the daemon quietly, exit 0.
    d.closeStdout();
    await createService(ns, 'after-reader-left');
    expect(await d.exited).toBe(0);
    expect(d.logged('stdout was closed by its reader: stopping')).toHaveLength(1);
    expect(d.stderr).not.toContain('EPIPE\n    at ');
  }, E2E_TIMEOUT_MS);

  it('hot reload: add a resource, remove one, change the endpoint URL, break the file, fix it; no duplicate sends', async () => {
    const ns = 'reload-e2e';
    await createNamespace(ns);
    const a = await receiver();
    const b = await receiver();
    const stateDir = join(dir, 'reload-state');
    const config = join(dir, 'reload.yaml');
    const base = { namespace: ns, stateDir };
    replaceFile(config, smallConfig({ ...base, url: a.url(), resources: ['configmaps'] }));
    await createConfigMap(ns, 'cm1');
    const d = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await d.waitForLog('initial sync done', 1);
    await waitFor(() => a.about('cm1').length === 1, 'cm1 at A');

    // Add services: the existing Service arrives, configmaps are not sent again (the emit cache carried over).
    await createService(ns, 'svc1');
    replaceFile(config, smallConfig({ ...base, url: a.url(), resources: ['configmaps', 'services'] }));
    await d.waitForLog('initial sync done', 2);
    await waitFor(() => a.about('svc1').length === 1, 'svc1 at A after adding services');
    await createConfigMap(ns, 'cm2');
    await waitFor(() => a.about('cm2').length === 1, 'cm2 at A');
    expect(a.about('cm1')).toHaveLength(1);

    // Remove configmaps: a new ConfigMap is not sent, and the removed resource's objects are not reported deleted.
    replaceFile(config, smallConfig({ ...base, url: a.url(), resources: ['services'] }));
    await d.waitForLog('initial sync done', 3);
    await createConfigMap(ns, 'cm3');
    await createService(ns, 'svc2');
    await waitFor(() => a.about('svc2').length === 1, 'svc2 at A');
    expect(a.about('cm3')).toEqual([]);
    expect(a.items().filter((i) => i.event === 'delete')).toEqual([]);

    // Change the endpoint URL: B is a new endpoint and gets the current state; A gets nothing more.
    const atA = a.items().length;
    replaceFile(config, smallConfig({ ...base, url: b.url(), resources: ['services'] }));
    await d.waitForLog('initial sync done', 4);
    await waitFor(() => b.about('svc1').length === 1 && b.about('svc2').length === 1, 'the current services at B');
    await createService(ns, 'svc3');
    await waitFor(() => b.about('svc3').length === 1, 'svc3 at B');
    expect(a.items()).toHaveLength(atA);

    // Break the file: every error is logged with its position and the running config stays.
    replaceFile(config, 'emitInterval: -5\nresources: [\n');
    await d.waitForLog('config reload rejected: the file is invalid, keeping the running config');
    expect(d.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith(`${config}:`))).toBe(true);
    await createService(ns, 'svc4');
    await waitFor(() => b.about('svc4').length === 1, 'svc4 at B while the file is broken');

    // Fix it, with a new metadata value: applied, and nothing unchanged is re-sent.
    replaceFile(config, smallConfig({ ...base, url: b.url(), resources: ['services'], stage: 'two' }));
    await d.waitForLog('initial sync done', 5);
    await createService(ns, 'svc5');
    await waitFor(() => b.about('svc5').length === 1, 'svc5 at B after the fix');
    expect(b.about('svc5')[0]!.meta).toEqual({ cluster: 'e2e', stage: 'two' });

    // SIGHUP reloads on demand, even an unchanged file (re-reading TLS files and tokens): a full swap that
    // sends nothing again.
    d.signal('SIGHUP');
    await waitFor(() => d.logs.some((l) => l.msg === 'config reloaded' && l['trigger'] === 'SIGHUP'), 'the SIGHUP reload');
    await d.waitForLog('initial sync done', 6);
    await createService(ns, 'svc-after-hup');
    await waitFor(() => b.about('svc-after-hup').length === 1, 'a Service after the SIGHUP reload');

    // A valid config whose endpoint fails to start (the apiserver's own TLS certificate, which no system root
    // trusts): the previous config is started again, and keeps delivering without re-sending.
    const good = smallConfig({ ...base, url: b.url(), resources: ['services'], stage: 'two' });
    replaceFile(config, smallConfig({ ...base, url: `${file.cluster.server}/watch-proxy`, resources: ['services'], stage: 'two' }));
    await d.waitForLog('the reloaded config failed to start: restoring the previous config');
    await d.waitForLog('initial sync done', 7);
    replaceFile(config, good);
    await createService(ns, 'svc6');
    await waitFor(() => b.about('svc6').length === 1, 'svc6 at B after the restore');

    expect(duplicates(a.items())).toEqual([]);
    expect(duplicates(b.items())).toEqual([]);
    expect(names(b.items()).filter((n) => n.startsWith('cm'))).toEqual([]);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('SIGTERM during a burst drains everything accepted; a restart sends nothing twice; a second signal exits at once', async () => {
    const ns = 'burst-e2e';
    await createNamespace(ns);
    const c = await receiver();
    const stateDir = join(dir, 'burst-state');
    const config = join(dir, 'burst.yaml');
    // 5 objects per batch and one batch a second: 50 objects take about 10 s to send.
    replaceFile(config, smallConfig({ url: c.url(), resources: ['configmaps'], namespace: ns, stateDir, batch: 5 }));
    const first = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await first.waitForLog('initial sync done');
    const all = Array.from({ length: 50 }, (_, i) => `burst-${String(i)}`);
    const creating = Promise.all(all.map((name) => createConfigMap(ns, name)));
    await waitFor(() => c.items().length > 0, 'the first batch');
    first.signal('SIGTERM');
    const atSignal = c.items().length;
    await creating;
    expect(await first.exited).toBe(0);
    expect(atSignal).toBeLessThan(50);
    const stopped = first.logged('pipeline stopped')[0]!;
    expect(stopped).toMatchObject({ drained: true, undelivered: 0 });
    const afterFirst = c.items().length;

    // Restart on the same state folder: only what the first run never saw is sent; a sentinel proves it caught up.
    const second = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await second.waitForLog('initial sync done');
    await createConfigMap(ns, 'sentinel');
    await waitFor(() => c.about('sentinel').length === 1, 'the sentinel');
    expect(duplicates(c.items())).toEqual([]);
    expect(new Set(names(c.items()))).toEqual(new Set([...all, 'sentinel']));
    expect(c.items().slice(0, afterFirst).every((i) => i.event === 'add')).toBe(true);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);

    // A receiver that is down past the grace period: the drain gives up, exit 1, nothing is recorded as
    // delivered; once it is back, a restart sends every object to it exactly once.
    const down = await receiver();
    down.status = 503;
    replaceFile(config, smallConfig({ url: down.url(), resources: ['configmaps'], namespace: ns, stateDir, grace: '1s' }));
    const fourth = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await waitFor(() => down.requests.length > 0, 'a failed attempt at the down receiver');
    fourth.signal('SIGTERM');
    expect(await fourth.exited).toBe(1);
    expect(fourth.logged('pipeline stopped')[0]).toMatchObject({ drained: false });
    expect(fourth.logged('pipeline stopped')[0]!['undelivered']).toBeGreaterThan(0);
    down.status = 200;
    const fifth = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await waitFor(() => down.items().length === all.length + 1, 'every ConfigMap at the recovered receiver');
    expect(new Set(names(down.items()))).toEqual(new Set([...all, 'sentinel']));
    fifth.signal('SIGTERM');
    expect(await fifth.exited).toBe(0);
    expect(duplicates(down.items())).toEqual([]);

    // A receiver that never answers holds a batch in flight: the first SIGTERM waits (grace 30 s), the second exits now.
    const hung = await receiver({ respond: false });
    replaceFile(config, smallConfig({ url: hung.url(), resources: ['configmaps'], namespace: ns, stateDir }));
    const third = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await waitFor(() => hung.requests.length > 0, 'a request in flight to the hung receiver');
    third.signal('SIGTERM');
    await third.waitForLog('stopping: draining queues (send the signal again to exit at once)');
    third.signal('SIGTERM');
    const began = Date.now();
    expect(await third.exited).toBe(1);
    expect(Date.now() - began).toBeLessThan(10_000);
  }, E2E_TIMEOUT_MS);

  it('leaderElection: of two replicas only the lease holder sends; after a graceful stop the other takes over, nothing sent twice', async () => {
    const ns = 'ha-e2e';
    await createNamespace(ns);
    const r = await receiver();
    const extra = `leaderElection:\n  enabled: true\n  namespace: ${ns}\n  leaseDuration: 4s\n  renewDeadline: 3s\n  retryPeriod: 1s\nprometheusMetrics:\n  port: 0\n`;
    const configA = join(dir, 'ha-a.yaml');
    const configB = join(dir, 'ha-b.yaml');
    replaceFile(configA, smallConfig({ url: r.url(), resources: ['configmaps'], namespace: ns, stateDir: join(dir, 'ha-a'), extra }));
    replaceFile(configB, smallConfig({ url: r.url(), resources: ['configmaps'], namespace: ns, stateDir: join(dir, 'ha-b'), extra }));
    await createConfigMap(ns, 'before');
    const a = daemon(['-c', configA, '--kubeconfig', file.cluster.kubeconfigPath], { HOSTNAME: 'replica-a' });
    await a.waitForLog('became the leader: delivering');
    await waitFor(() => r.about('before').length === 1, 'the first object from the leader');
    const b = daemon(['-c', configB, '--kubeconfig', file.cluster.kubeconfigPath], { HOSTNAME: 'replica-b' });
    const portB = (await b.waitForLog('serving metrics and probes'))['metricsPort'] as number;
    await b.waitForLog('initial sync done');
    expect(sample(await scrape(portB), 'watch_proxy_leader')).toBe(0);
    await createConfigMap(ns, 'while-a-leads');
    await waitFor(() => r.about('while-a-leads').length === 1, 'an object while A leads');
    expect(b.logged('became the leader: delivering')).toEqual([]);

    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    await b.waitForLog('became the leader: delivering');
    expect(sample(await scrape(portB), 'watch_proxy_leader')).toBe(1);
    expect(sample(await scrape(portB), 'watch_proxy_leader_transitions_total', { to: 'leader' })).toBe(1);
    await createConfigMap(ns, 'after-takeover');
    await waitFor(() => r.about('after-takeover').length === 1, 'an object after B took over');
    expect(duplicates(r.items())).toEqual([]);
    // The shared emit cache's ConfigMaps live in the watched namespace and change with every save: never sent.
    expect(new Set(names(r.items()))).toEqual(new Set(['before', 'while-a-leads', 'after-takeover']));
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
  }, E2E_TIMEOUT_MS);

  // Last: it takes the apiserver down. A frozen apiserver is detected the same way once the watcher's idle
  // watchdog (150 s) closes the silent watch; killing it closes the watches at once, which keeps this test short.
  it('/live answers 503 once the watches have been down longer than --liveness-stale-after, and 200 after recovery', async () => {
    const config = join(dir, 'live.yaml');
    replaceFile(config, 'clusterName: live\nhttpLiveness:\n  port: 0\nresources:\n- name: namespaces\n');
    const d = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath, '--liveness-stale-after', '2s', '--dry-run']);
    const port = (await d.waitForLog('serving metrics and probes'))['livenessPort'] as number;
    await d.waitForLog('initial sync done');
    const live = async (): Promise<[number, string]> => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/live`);
      return [res.status, await res.text()];
    };
    expect(await live()).toEqual([200, 'OK\n']);
    await file.cluster.stopApiserver();
    try {
      await waitFor(async () => (await live())[0] === 503, '/live to fail while the apiserver is down', 60_000, 200);
      expect((await live())[1]).toMatch(/^Service Unavailable: no open watch for too long: namespaces/);
    } finally {
      await file.cluster.startApiserver();
    }
    await waitFor(async () => (await live())[0] === 200, '/live to pass again after the apiserver is back', 90_000, 200);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});
