// One daemon, several real clusters (issue 19's check): two apiservers, two endpoints (one taking every cluster,
// one only the second); each receiver's replay equals the union / the second cluster. Then cluster a goes away
// for the daemon (its connection refused, then its apiserver killed) while both clusters change: b keeps flowing
// throughout, and once a is back the daemon catches up with what changed there meanwhile, its delete included.
// Then a third cluster is added by a config reload without touching the others, and the first removed without
// deleting its objects at the receivers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { waitFor } from '@watch-proxy/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { TcpProxy } from '../../../core/test/watch/tcp-proxy.js';
import { DaemonRun, Receiver, parsePrometheusText, type ReceivedItem } from './harness.js';

const LABEL = 'watch-proxy-test=multi-cluster';

let a: TestCluster;
let b: TestCluster;
let c: TestCluster;
let proxyToA: TcpProxy;
let dir: string;
let daemon: DaemonRun | undefined;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // Three apiservers at once: the third is added by a reload later on.
  [a, b, c] = await Promise.all([startCluster(), startCluster(), startCluster()]);
  dir = mkdtempSync(join(tmpdir(), 'wp-multi-cluster-'));
  // The daemon reaches a through a loopback proxy, so the test can cut it off while changing a through its own path.
  proxyToA = new TcpProxy(Number(new URL(a.server).port));
  const port = await proxyToA.listen();
  const kubeconfig = readFileSync(a.kubeconfigPath, 'utf8').replace(a.server, `https://127.0.0.1:${String(port)}`);
  expect(kubeconfig).toContain(String(port));
  writeFileSync(join(dir, 'a.kubeconfig'), kubeconfig, { mode: 0o600 });
}, 600_000);

afterAll(async () => {
  await daemon?.kill();
  await Promise.all(receivers.map((r) => r.close()));
  await proxyToA?.close();
  await Promise.all([a, b, c].map((cluster) => cluster?.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function configMap(cluster: TestCluster, name: string, value: string): Promise<void> {
  const body = { metadata: { name, labels: { 'watch-proxy-test': 'multi-cluster' } }, data: { value } };
  const existing = await cluster.request('GET', `/api/v1/namespaces/default/configmaps/${name}`);
  if (existing.status === 200) await cluster.requestOk('PUT', `/api/v1/namespaces/default/configmaps/${name}`, body);
  else await cluster.requestOk('POST', '/api/v1/namespaces/default/configmaps', body);
}

async function remove(cluster: TestCluster, name: string): Promise<void> {
  await cluster.requestOk('DELETE', `/api/v1/namespaces/default/configmaps/${name}`);
}

/** The cluster as a receiver should hold it: `<cluster>-<uid>` -> data.value of each labelled ConfigMap. */
async function state(cluster: TestCluster, name: string): Promise<Map<string, string>> {
  const list = await cluster.requestOk('GET', `/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent(LABEL)}`);
  const items = list['items'] as { metadata: { uid: string }; data: { value: string } }[];
  return new Map(items.map((item) => [`${name}-${item.metadata.uid}`, item.data.value]));
}

/** A receiver's replay: uniqueId -> data.value, deletes applied. */
function replay(receiver: Receiver): Map<string, string> {
  const held = new Map<string, string>();
  for (const item of receiver.items()) {
    if (item.event === 'delete') held.delete(item.uniqueId);
    else held.set(item.uniqueId, (item.data['data'] as { value: string }).value);
  }
  return held;
}

function union(...maps: Map<string, string>[]): Map<string, string> {
  return new Map(maps.flatMap((m) => [...m]));
}

const sorted = (m: Map<string, string>): [string, string][] => [...m].sort(([x], [y]) => x.localeCompare(y));

/** Waits until `receiver` holds exactly `expected()` (read afresh each time). */
async function converges(receiver: Receiver, expected: () => Promise<Map<string, string>>, what: string, timeoutMs = 120_000): Promise<void> {
  let want = new Map<string, string>();
  await waitFor(
    async () => {
      want = await expected();
      return JSON.stringify(sorted(replay(receiver))) === JSON.stringify(sorted(want));
    },
    `${what}: want ${JSON.stringify(sorted(want))}, have ${JSON.stringify(sorted(replay(receiver)))}`,
    timeoutMs,
    200,
  );
}

/** Every request held the items of one cluster, and said which in meta. */
function batchesArePure(receiver: Receiver): boolean {
  return receiver.requests.every((request) => {
    const doc = JSON.parse(request.body) as { data: ReceivedItem[]; meta: { cluster?: string; region?: string } };
    return doc.data.every((item) => item.uniqueId.startsWith(`${String(doc.meta.cluster)}-`));
  });
}

function writeConfig(path: string, clusters: readonly { name: string; kubeconfig: string }[], all: Receiver, onlyB: Receiver): void {
  writeFileSync(
    path,
    [
      'prometheusMetrics:',
      '  port: 0',
      `stateDir: ${join(dir, 'state')}`,
      'metadata: {env: test}',
      'clusters:',
      ...clusters.map((cl) => `  - {name: ${cl.name}, kubeconfig: ${cl.kubeconfig}${cl.name === 'a' ? ', metadata: {region: eu}' : ''}}`),
      'remoteEndpoints:',
      `  - {name: all, url: "${all.url()}"}`,
      `  - {name: only-b, url: "${onlyB.url()}", clusters: [b]}`,
      'resources:',
      `  - {name: configmaps, labelSelector: "${LABEL}"}`,
      '',
    ].join('\n'),
  );
}

it('delivers two clusters to two endpoints, keeps one flowing while the other is away, catches up, and adds and removes clusters on reload', async () => {
  const all = await new Receiver().listen();
  const onlyB = await new Receiver().listen();
  receivers.push(all, onlyB);
  await Promise.all([configMap(a, 'web', 'a1'), configMap(a, 'db', 'a1'), configMap(b, 'web', 'b1')]);

  const config = join(dir, 'config.yaml');
  const clusterA = { name: 'a', kubeconfig: join(dir, 'a.kubeconfig') };
  const clusterB = { name: 'b', kubeconfig: b.kubeconfigPath };
  const clusterC = { name: 'c', kubeconfig: c.kubeconfigPath };
  writeConfig(config, [clusterA, clusterB], all, onlyB);
  // The daemon's own credentials (leader election, state store) are b's; each cluster has its own file.
  daemon = new DaemonRun(['-c', config, '--kubeconfig', b.kubeconfigPath], {
    WATCH_PROXY_TEST_WATCHDOGS: JSON.stringify({ connectTimeoutMs: 2_000 }),
  });
  const metricsPort = (await daemon.waitForLog('serving metrics and probes'))['metricsPort'] as number;
  await daemon.waitForLog('initial sync done');
  const metrics = async (): Promise<Map<string, number>> => parsePrometheusText(await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text());

  // Each receiver's replay: the union, and the second cluster only.
  await converges(all, async () => union(await state(a, 'a'), await state(b, 'b')), 'the union of a and b');
  await converges(onlyB, () => state(b, 'b'), 'b only');
  expect(batchesArePure(all) && batchesArePure(onlyB)).toBe(true);
  const metaOf = (receiver: Receiver, cluster: string): unknown =>
    receiver.items().find((item) => item.uniqueId.startsWith(`${cluster}-`))?.meta;
  expect(metaOf(all, 'a')).toEqual({ cluster: 'a', env: 'test', region: 'eu' });
  expect(metaOf(all, 'b')).toEqual({ cluster: 'b', env: 'test' });
  expect((await metrics()).get('watch_proxy_resource_synced{cluster="b",resource="configmaps"}')).toBe(1);

  // a goes away for the daemon; both clusters change meanwhile.
  proxyToA.refuse();
  await Promise.all([configMap(a, 'web', 'a2'), remove(a, 'db'), configMap(a, 'new', 'a2')]);
  const whileAway = await state(a, 'a');
  // Then a's apiserver itself stops: its connections refused from here on (the proxy passes again), too.
  await a.stopApiserver();
  proxyToA.pass();
  await Promise.all([configMap(b, 'web', 'b2'), configMap(b, 'more', 'b2')]);
  // b keeps flowing while a is down: both receivers get b's changes; a's changes have not arrived.
  await converges(onlyB, () => state(b, 'b'), 'b while a is down');
  await converges(all, async () => union(new Map([...replay(all)].filter(([id]) => id.startsWith('a-'))), await state(b, 'b')), 'b at the all-receiver while a is down');
  expect([...replay(all)].filter(([id]) => id.startsWith('a-')).map(([, value]) => value)).toEqual(['a1', 'a1']);

  // a comes back: what changed there while it was away arrives, the delete included; nothing of b is lost.
  await a.startApiserver();
  await converges(all, async () => union(await state(a, 'a'), await state(b, 'b')), 'a caught up');
  expect(await state(a, 'a')).toEqual(whileAway);
  expect(all.items().some((item) => item.event === 'delete' && item.data.metadata.name === 'db' && item.uniqueId.startsWith('a-'))).toBe(true);
  await converges(onlyB, () => state(b, 'b'), 'b only, after a came back');

  // A third cluster, added by a reload of the file: a and b are not relisted, nothing of theirs is sent again.
  const relists = async (): Promise<number[]> => {
    const m = await metrics();
    return ['a', 'b'].map((cl) => m.get(`watch_proxy_relists_total{cluster="${cl}",resource="configmaps"}`) ?? -1);
  };
  const relistsBefore = await relists();
  const sentBefore = all.items().length;
  await configMap(c, 'web', 'c1');
  writeConfig(config, [clusterA, clusterB, clusterC], all, onlyB);
  await daemon.waitForLog('clusters changed');
  await converges(all, async () => union(await state(a, 'a'), await state(b, 'b'), await state(c, 'c')), 'the union of a, b and c');
  expect(all.items().slice(sentBefore).every((item) => item.uniqueId.startsWith('c-'))).toBe(true);
  expect(onlyB.items().some((item) => item.uniqueId.startsWith('c-'))).toBe(false);
  expect(await relists()).toEqual(relistsBefore);
  expect(daemon.logged('pipeline stopped')).toEqual([]);

  // a removed by a reload: its objects stay at the receivers (removedClusterObjects: keep), the others flow on.
  writeConfig(config, [clusterB, clusterC], all, onlyB);
  await daemon.waitForLog('clusters changed', 2);
  await configMap(c, 'web', 'c2');
  await converges(all, async () => union(whileAway, await state(b, 'b'), await state(c, 'c')), 'a kept after its removal');
  expect(all.items().filter((item) => item.event === 'delete').map((item) => item.data.metadata.name)).toEqual(['db']);

  daemon.signal('SIGTERM');
  expect(await daemon.exited).toBe(0);
}, 900_000);
