import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/types.js';
import { kubeWatchSource } from '../../src/watch/kube-watch-source.js';
import { silentLogger } from '../../src/logger.js';
import { resolveResources } from '../../src/watch/discovery.js';
import { WatchError } from '../../src/kube/kube-api-error.js';
import { createResourceWatcher } from '../../src/watch/resource-watcher.js';
import { peekAddedIdentity } from '../../src/watch/listed-identity.js';
import { LineSplitter } from '../../src/watch/line-splitter.js';
import type { ResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { WatchEvent } from '../../src/watch/watch-event.js';
import {
  adminKubeConfig,
  cacheSummary,
  configMap,
  createNamespace,
  freshList,
  inParallel,
  must,
  replay,
  socketsTo,
  uniqueId,
} from './cluster-helpers.js';
import { waitFor } from '@watch-proxy/test-support';

describe('resource watcher against a real apiserver', () => {
  let cluster: TestCluster;
  let kc: KubeConfig;
  const watchers: ResourceWatcher[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    kc = adminKubeConfig(cluster);
  });

  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await cluster?.stop();
  });

  it('resolves the original names, plural.group and group/version/plural through discovery', async () => {
    const names = ['nodes', 'namespaces', 'pods', 'services', 'ingresses', 'deployments', 'replicasets', 'configmaps', 'secrets'];
    const resolved = await resolveResources(kc, [...names, 'deployments.apps', 'networking.k8s.io/v1/ingresses', 'v1/pods', 'cm']);
    const refs = Object.fromEntries(resolved.map((r) => [r.name, `${r.ref.group}/${r.ref.version}/${r.ref.resource}:${r.ref.kind}:${r.ref.namespaced}`]));
    expect(refs).toEqual({
      nodes: '/v1/nodes:Node:false',
      namespaces: '/v1/namespaces:Namespace:false',
      pods: '/v1/pods:Pod:true',
      services: '/v1/services:Service:true',
      ingresses: 'networking.k8s.io/v1/ingresses:Ingress:true',
      deployments: 'apps/v1/deployments:Deployment:true',
      replicasets: 'apps/v1/replicasets:ReplicaSet:true',
      configmaps: '/v1/configmaps:ConfigMap:true',
      secrets: '/v1/secrets:Secret:true',
      'deployments.apps': 'apps/v1/deployments:Deployment:true',
      'networking.k8s.io/v1/ingresses': 'networking.k8s.io/v1/ingresses:Ingress:true',
      'v1/pods': '/v1/pods:Pod:true',
      cm: '/v1/configmaps:ConfigMap:true',
    });
    const err = await resolveResources(kc, ['pods', 'nosuchthings', 'widgets.example.com']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchError);
    expect(err).toMatchObject({ kind: 'not-found', code: 'WP_ERR_WATCH_NOT_FOUND' });
    expect((err as Error).message).toContain('nosuchthings, widgets.example.com');
  });

  it('lists 1,234 ConfigMaps in 13 pages of 100 and is synced only after the last page', async () => {
    const ns = `pages-${uniqueId()}`;
    const run = uniqueId();
    await createNamespace(cluster, ns);
    await inParallel(1234, 16, (i) => must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, `cm-${i}`, { run }, { i: String(i) })));
    const events: WatchEvent[] = [];
    const syncedDuringList: boolean[] = [];
    const syncedLists: number[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource: 'configmaps',
      labelSelector: `run=${run}`,
      streamingList: false,
      pageSize: 100,
      handlers: {
        onEvent: (_r, e) => {
          events.push(e);
          syncedDuringList.push(w.health().synced);
        },
        onSynced: (_r, objects) => syncedLists.push(objects.length),
      },
    });
    watchers.push(w);
    await w.start();
    const h = w.health();
    expect(h.scopes[0]!.lastList).toMatchObject({ pages: 13, objects: 1234 });
    expect(h).toMatchObject({ synced: true, objects: 1234, relists: 0, failures: 0 });
    expect(events).toHaveLength(1234);
    expect(events.every((e) => e.type === 'add')).toBe(true);
    expect(syncedDuringList.includes(true)).toBe(false);
    expect(syncedLists).toEqual([1234]);
    expect(cacheSummary(w)).toEqual(await freshList(cluster, `/api/v1/configmaps?labelSelector=run%3D${run}`));
    await w.stop();
  });

  it('streamingList (the default): the real apiserver streams the initial list (sendInitialEvents) and the watch goes on', async () => {
    const ns = `stream-${uniqueId()}`;
    const run = uniqueId();
    await createNamespace(cluster, ns);
    await inParallel(300, 16, (i) => must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, `cm-${i}`, { run })));
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'unlabelled', {}));
    const events: WatchEvent[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource: 'configmaps',
      labelSelector: `run=${run}`,
      handlers: { onEvent: (_r, e) => events.push(e) },
    });
    watchers.push(w);
    await w.start();
    // pages 0 means the list came from the stream; a fallback to a paginated list would show 1.
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 0, objects: 300 });
    expect(w.health()).toMatchObject({ synced: true, failures: 0 });
    const path = `/api/v1/namespaces/${ns}/configmaps?labelSelector=run%3D${run}`;
    expect(cacheSummary(w)).toEqual(await freshList(cluster, path));
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'later', { run }));
    await waitFor(() => w.cache.has(`${ns}/later`), 'an event after the initial ones', 10_000);
    expect(replay(events)).toEqual(cacheSummary(w));
    await w.stop();
  });

  it('picks up a CRD created after start, and is degraded (not dead) when it is deleted, recovering when it returns', async () => {
    const group = `t${uniqueId()}.example.com`;
    const name = `widgets.${group}`;
    const ns = `crd-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const events: WatchEvent[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource: name,
      backoff: { baseMs: 100, capMs: 500, degradedCapMs: 500 },
      handlers: { onEvent: (_r, e) => events.push(e) },
    });
    watchers.push(w);
    await w.start(); // resolves although the CRD does not exist: degraded, retrying
    expect(w.health()).toMatchObject({ state: 'degraded', synced: false, lastError: { kind: 'not-found' } });

    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    await must(cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    const widget = (n: string): Record<string, unknown> => ({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: n, namespace: ns }, spec: { size: 1 } });
    // The CRD's REST endpoint appears a moment after the CRD object; retry the create until it does.
    await waitFor(async () => (await cluster.request('POST', `/apis/${group}/v1/namespaces/${ns}/widgets`, widget('w1'))).status === 201, 'the widgets endpoint', 30_000, 100);
    await waitFor(() => w.health().state === 'watching' && w.cache.has(`${ns}/w1`), 'the watcher to pick up the CRD', 30_000);
    expect(w.resource?.ref).toMatchObject({ group, version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true });
    await must(cluster, 'POST', `/apis/${group}/v1/namespaces/${ns}/widgets`, widget('w2'));
    await waitFor(() => w.cache.has(`${ns}/w2`), 'the second widget');

    await must(cluster, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    await waitFor(() => w.health().state === 'degraded' && w.health().lastError?.kind === 'not-found', 'degraded after the CRD is gone', 60_000);
    expect(w.health().state).not.toBe('stopped');

    await waitFor(async () => (await cluster.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status === 201, 'the CRD re-created', 60_000, 100);
    await waitFor(async () => (await cluster.request('POST', `/apis/${group}/v1/namespaces/${ns}/widgets`, widget('w3'))).status === 201, 'the widgets endpoint again', 60_000, 100);
    await waitFor(() => w.health().state === 'watching' && w.cache.has(`${ns}/w3`), 'recovery', 30_000);
    expect(cacheSummary(w)).toEqual(await freshList(cluster, `/apis/${group}/v1/widgets`));
    expect(replay(events)).toEqual(cacheSummary(w));
    await w.stop();
  });

  it('stop() under load: no events after it resolves and no sockets left open', async () => {
    const ns = `stop-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const port = Number(new URL(cluster.server).port);
    const events: KubeObject[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource: 'configmaps',
      namespaces: [ns],
      handlers: { onEvent: (_r, e) => events.push(e.object) },
    });
    await w.start();
    let churning = true;
    let writes = 0;
    const churn = inParallel(8, 8, async (worker) => {
      for (let i = 0; churning; i++) {
        await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, `w${worker}-${i}`, {}));
        writes++;
      }
    });
    await waitFor(() => events.length >= 50, 'events under load', 30_000);
    expect(socketsTo(port)).toBeGreaterThan(0);
    await w.stop();
    const seen = events.length;
    const writesAtStop = writes;
    await waitFor(() => writes >= writesAtStop + 50, 'more writes after stop', 30_000);
    churning = false;
    await churn;
    expect(events.length).toBe(seen);
    expect(w.health().state).toBe('stopped');
    // The churn's own requests use one connection each and close them; the watcher must have closed all of its.
    await waitFor(() => socketsTo(port) === 0, 'every connection to the apiserver closed', 10_000);
  });

  it('the default watch source hands out managedFields only for resources that send them, keeps no objects, and replays by listing', async () => {
    const [ns, kept] = [uniqueId(), uniqueId()];
    for (const n of [ns, kept]) {
      await createNamespace(cluster, n);
      await must(cluster, 'POST', `/api/v1/namespaces/${n}/configmaps`, configMap(n, 'cm', {}, { k: 'v' }));
    }
    const source = kubeWatchSource(kc)({
      resources: [
        { name: 'configmaps', namespaces: [ns], resyncMs: 0, reconcileMs: 0, streamingList: false, includeManagedFields: false },
        { name: 'configmaps', namespaces: [kept], resyncMs: 0, reconcileMs: 0, streamingList: false, includeManagedFields: true },
      ],
      logger: silentLogger,
      onError: () => undefined,
    });
    const seen: WatchEvent[] = [];
    const synced: KubeObject[] = [];
    const inNs = (n: string) => (e: WatchEvent): boolean => (e.object['metadata'] as { namespace: string }).namespace === n;
    try {
      await source.start({ onEvent: (_r, e) => seen.push(e), onSynced: (_r, objects) => synced.push(...objects) });
      const dropped = seen.filter(inNs(ns));
      expect(dropped).toHaveLength(1);
      expect(dropped[0]!.object['metadata']).not.toHaveProperty('managedFields');
      expect(dropped[0]!.object).toMatchObject({ data: { k: 'v' }, metadata: { name: 'cm', namespace: ns } });
      expect(seen.filter(inNs(kept))[0]!.object['metadata']).toHaveProperty('managedFields');
      // What the watchers keep (and reconcile from) is the skeleton of each object; there is nothing to snapshot.
      expect(synced.find((o) => (o['metadata'] as { namespace: string }).namespace === ns)).toEqual({
        metadata: { name: 'cm', namespace: ns, uid: expect.any(String), resourceVersion: expect.any(String) },
      });
      expect(source.snapshot).toBeUndefined();
      // A replay (what a takeover asks for) lists again and hands each unchanged object out whole.
      seen.length = 0;
      source.replay!();
      await waitFor(() => seen.length === 2, 'both objects replayed', 10_000);
      expect(seen.every((e) => e.type === 'update' && e.resync === true)).toBe(true);
      expect(seen.find(inNs(ns))!.object).toMatchObject({ data: { k: 'v' } });
    } finally {
      await source.stop();
    }
  });

  it("reads an unchanged object's identity from the first bytes of the apiserver's own ADDED lines, exactly as parsing gives it", async () => {
    const ns = `peek-${uniqueId()}`;
    await createNamespace(cluster, ns);
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'named', { a: 'b' }, { k: 'v' }));
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-', namespace: ns } });
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: ns }, stringData: { p: 'x' } });
    // Namespaced objects with and without generateName, a Secret, and cluster-scoped Namespaces.
    const lines = [
      ...(await initialEventLines(`/api/v1/namespaces/${ns}/configmaps`)),
      ...(await initialEventLines(`/api/v1/namespaces/${ns}/secrets`)),
      ...(await initialEventLines('/api/v1/namespaces')),
    ];
    const added = lines.filter((l) => l.startsWith('{"type":"ADDED"'));
    expect(added.length).toBeGreaterThanOrEqual(4 + 3);
    for (const line of added) {
      const meta = (JSON.parse(line) as { object: { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string } } }).object.metadata;
      const key = meta.namespace === undefined ? meta.name : `${meta.namespace}/${meta.name}`;
      expect(peekAddedIdentity(Buffer.from(line))).toEqual({ key, uid: meta.uid, resourceVersion: meta.resourceVersion });
    }
  });

  /** The raw lines of a streaming list's initial events, as the apiserver writes them, up to the end bookmark. */
  function initialEventLines(path: string): Promise<string[]> {
    const query = 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=10';
    const url = new URL(`${path}?${query}`, cluster.server);
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      const req = request(url, { ca: readFileSync(cluster.caFile), headers: { authorization: `Bearer ${cluster.adminToken}` } }, (res) => {
        const splitter = new LineSplitter();
        res.on('data', (chunk: Buffer) => {
          for (const bytes of splitter.push(chunk)) {
            const line = bytes.toString('utf8');
            lines.push(line);
            if (line.includes('"k8s.io/initial-events-end":"true"')) {
              req.destroy();
              resolve(lines);
            }
          }
        });
        res.on('end', () => reject(new Error(`${path}: the stream ended before its initial events did (status ${res.statusCode})`)));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('the default watch source hands streamingList and reconcileMs to its watchers', async () => {
    const ns = uniqueId();
    await createNamespace(cluster, ns);
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'cm', {}, { k: 'v' }));
    const source = kubeWatchSource(kc)({
      resources: [{ name: 'configmaps', namespaces: [ns], resyncMs: 0, reconcileMs: 300, streamingList: true, includeManagedFields: false }],
      logger: silentLogger,
      onError: () => undefined,
    });
    try {
      await source.start({ onEvent: () => undefined });
      // pages 0: the list came from a streaming watch, not pages.
      expect(source.health!()[0]!.scopes[0]!.lastList).toMatchObject({ pages: 0, objects: 1 });
      expect(source.health!()[0]!.relists).toBe(0);
      // A reconcile is a relist against the server on a timer, with nothing else going on.
      await waitFor(() => source.health!()[0]!.relists >= 1, 'a reconcile relist', 10_000);
    } finally {
      await source.stop();
    }
  });
});
