// clusterUid (issue 19 item 4) against a real apiserver: meta.clusterUid is the UID of the cluster's kube-system
// Namespace, for the daemon's own cluster (no clusters: list) and for each clusters: entry. Off, the payload's meta
// is byte for byte what it was; turned on by a reload, every later batch carries it. A cluster whose credentials may
// not get the kube-system Namespace degrades alone (logged with the cluster and the missing permission, none of its
// batches sent without the UID) while the others flow, and recovers by itself once granted; clusters added by a
// reload read theirs (or not, with their own clusterUid: false).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { waitFor } from '@watch-proxy/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { DaemonRun, Receiver, type ReceivedRequest } from './harness.js';

let cluster: TestCluster;
let dir: string;
let uid: string;
const daemons: DaemonRun[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  dir = mkdtempSync(join(tmpdir(), 'wp-cluster-uid-'));
  uid = ((await cluster.requestOk('GET', '/api/v1/namespaces/kube-system'))['metadata'] as { uid: string }).uid;
  expect(uid).toMatch(/^[0-9a-f-]{36}$/);
}, 600_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await Promise.all(receivers.map((r) => r.close()));
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function configMap(label: string, name: string, value: string): Promise<void> {
  const body = { metadata: { name, labels: { 'watch-proxy-test': label } }, data: { value } };
  const existing = await cluster.request('GET', `/api/v1/namespaces/default/configmaps/${name}`);
  if (existing.status === 200) await cluster.requestOk('PUT', `/api/v1/namespaces/default/configmaps/${name}`, body);
  else await cluster.requestOk('POST', '/api/v1/namespaces/default/configmaps', body);
}

interface Doc {
  readonly data: { uniqueId: string; data: { metadata: { name: string } } }[];
  readonly meta: Record<string, unknown> | null;
}
const docOf = (request: ReceivedRequest): Doc => JSON.parse(request.body) as Doc;
/** The requests holding an item about `name` (with uniqueIds starting `prefix`). */
const holding = (receiver: Receiver, name: string, prefix = ''): ReceivedRequest[] =>
  receiver.requests.filter((r) => docOf(r).data.some((item) => item.data.metadata.name === name && item.uniqueId.startsWith(prefix)));

async function received(receiver: Receiver, name: string, prefix = '', timeoutMs = 60_000): Promise<ReceivedRequest> {
  await waitFor(() => holding(receiver, name, prefix).length > 0, `a request about ${prefix}${name}`, timeoutMs, 100);
  return holding(receiver, name, prefix)[0]!;
}

it("puts the kube-system Namespace UID in meta.clusterUid of the daemon's own cluster once a reload turns it on, and leaves meta's bytes as they were while off", async () => {
  const receiver = await new Receiver().listen();
  receivers.push(receiver);
  const label = 'cluster-uid-single';
  const config = join(dir, 'single.yaml');
  const write = (clusterUid: boolean): void =>
    writeFileSync(
      config,
      [
        'clusterName: dev',
        'metadata: {env: test}',
        ...(clusterUid ? ['clusterUid: true'] : []),
        `stateDir: ${join(dir, 'single-state')}`,
        `remoteEndpoints: [{url: "${receiver.url()}"}]`,
        `resources: [{name: configmaps, labelSelector: "watch-proxy-test=${label}"}]`,
        '',
      ].join('\n'),
    );
  await configMap(label, 'uid-single-1', 'v1');
  write(false);
  const daemon = new DaemonRun(['-c', config, '--kubeconfig', cluster.kubeconfigPath]);
  daemons.push(daemon);
  await daemon.waitForLog('initial sync done');
  // Off: the meta bytes of before (the key does not exist in any payload).
  expect((await received(receiver, 'uid-single-1')).body.endsWith(',"meta":{"cluster":"dev","env":"test"}}')).toBe(true);

  write(true);
  await daemon.waitForLog('config reloaded');
  const before = receiver.requests.length;
  await configMap(label, 'uid-single-2', 'v1');
  const on = await received(receiver, 'uid-single-2');
  expect(on.body.endsWith(`,"meta":{"cluster":"dev","clusterUid":"${uid}","env":"test"}}`)).toBe(true);
  // Nothing unchanged was sent again by the reload, and every batch since carries the UID.
  expect(holding(receiver, 'uid-single-1')).toHaveLength(1);
  for (const request of receiver.requests.slice(before)) expect(docOf(request).meta).toEqual({ cluster: 'dev', clusterUid: uid, env: 'test' });
  expect(receiver.requests.slice(0, before).every((r) => !r.body.includes('clusterUid'))).toBe(true);

  daemon.signal('SIGTERM');
  expect(await daemon.exited).toBe(0);
}, 300_000);

it('gives each clusters: entry its UID; one whose credentials may not read kube-system waits alone and recovers once granted; clusters added by a reload read theirs', async () => {
  const receiver = await new Receiver().listen();
  receivers.push(receiver);
  const label = 'cluster-uid-multi';
  // Same apiserver, other credentials: may list and watch ConfigMaps, not get the kube-system Namespace.
  const limited = await cluster.mintToken({
    namespace: 'wp-cluster-uid',
    serviceAccount: 'limited',
    clusterRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }],
  });
  const config = join(dir, 'multi.yaml');
  const write = (extra: readonly string[]): void =>
    writeFileSync(
      config,
      [
        'clusterUid: true',
        'httpLiveness: {port: 0}',
        `stateDir: ${join(dir, 'multi-state')}`,
        'clusters:',
        `  - {name: full, kubeconfig: ${cluster.kubeconfigPath}, metadata: {region: eu}}`,
        `  - {name: limited, kubeconfig: ${limited.kubeconfigPath}}`,
        ...extra,
        `remoteEndpoints: [{url: "${receiver.url()}"}]`,
        `resources: [{name: configmaps, labelSelector: "watch-proxy-test=${label}"}]`,
        '',
      ].join('\n'),
    );
  await configMap(label, 'uid-multi-1', 'v1');
  write([]);
  const daemon = new DaemonRun(['-c', config, '--kubeconfig', cluster.kubeconfigPath]);
  daemons.push(daemon);

  const probePort = (await daemon.waitForLog('serving metrics and probes'))['livenessPort'] as number;
  const ready = async (): Promise<{ status: number; body: string }> => {
    const answer = await fetch(`http://127.0.0.1:${String(probePort)}/ready`);
    return { status: answer.status, body: await answer.text() };
  };
  const first = await received(receiver, 'uid-multi-1', 'full-');
  expect(docOf(first).meta).toEqual({ cluster: 'full', clusterUid: uid, region: 'eu' });
  const forbidden = 'clusterUid: cluster "limited" forbids get on namespaces/kube-system';
  await waitFor(() => daemon.logs.some((l) => String(l.msg).startsWith(forbidden)), 'the forbidden read logged', 60_000, 100);
  // The other cluster keeps flowing while limited waits; nothing of limited is sent without its UID.
  await configMap(label, 'uid-multi-1', 'v2');
  await waitFor(() => holding(receiver, 'uid-multi-1', 'full-').length >= 2, 'full flows on', 60_000, 100);
  expect(receiver.requests.some((r) => docOf(r).data.some((item) => item.uniqueId.startsWith('limited-')))).toBe(false);
  // /ready (clusterReadiness: all) names the cluster and the permission it lacks.
  const waitingReady = await ready();
  expect(waitingReady.status).toBe(503);
  expect(waitingReady.body).toContain(forbidden);

  // Granted: limited reads its UID at its next retry and sends what it queued meanwhile, with the UID.
  await cluster.requestOk('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    metadata: { name: 'wp-cluster-uid-kube-system' },
    rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] }],
  });
  await cluster.requestOk('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'wp-cluster-uid-kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wp-cluster-uid-kube-system' },
    subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: 'wp-cluster-uid' }],
  });
  const recovered = await received(receiver, 'uid-multi-1', 'limited-', 120_000);
  expect(docOf(recovered).meta).toEqual({ cluster: 'limited', clusterUid: uid });
  expect(daemon.logged("clusterUid: read the kube-system Namespace; the cluster's batches flow")).toHaveLength(1);
  await waitFor(async () => (await ready()).status === 200, '/ready once limited read its UID', 30_000, 100);

  // Added by a reload: one inherits clusterUid, one turns it off for itself; the others are not touched.
  write(['  - {name: third, kubeconfig: ' + cluster.kubeconfigPath + '}', '  - {name: plain, kubeconfig: ' + cluster.kubeconfigPath + ', clusterUid: false}']);
  await daemon.waitForLog('clusters changed');
  expect(docOf(await received(receiver, 'uid-multi-1', 'third-')).meta).toEqual({ cluster: 'third', clusterUid: uid });
  expect(docOf(await received(receiver, 'uid-multi-1', 'plain-')).meta).toEqual({ cluster: 'plain' });
  // Every batch of a cluster with clusterUid carried it.
  for (const request of receiver.requests) {
    const doc = docOf(request);
    if (doc.meta?.['cluster'] !== 'plain') expect(doc.meta?.['clusterUid'], request.body.slice(-200)).toBe(uid);
  }
  expect(daemon.logged('pipeline stopped')).toEqual([]);

  daemon.signal('SIGTERM');
  expect(await daemon.exited).toBe(0);
}, 300_000);
