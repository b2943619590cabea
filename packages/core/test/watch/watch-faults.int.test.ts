import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import type { KubeConfig } from '@kubernetes/client-node';
import { createResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { ResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { ResolvedResource, WatchEvent } from '../../src/watch/watch-event.js';
import { adminKubeConfig, cacheSummary, configMap, createNamespace, freshList, inParallel, must, replay, uniqueId } from './cluster-helpers.js';
import { TcpProxy } from './tcp-proxy.js';
import { waitFor } from '@watch-proxy/test-support';

// Faults on one apiserver, run in order. The watch cache is off for configmaps so that etcd compaction turns
// straight into 410 Gone; secrets keep their watch cache (and with it, bookmarks) for the freeze test.
describe('resource watcher under apiserver faults', () => {
  let cluster: TestCluster;
  const watchers: ResourceWatcher[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ apiserverArgs: ['--watch-cache-sizes=configmaps#0'] });
  });

  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.stop();
  });

  function watch(
    resource: string | ResolvedResource,
    ns: string,
    kc: KubeConfig,
    extra: Partial<Parameters<typeof createResourceWatcher>[0]> = {},
  ): { w: ResourceWatcher; events: WatchEvent[]; errors: string[] } {
    const events: WatchEvent[] = [];
    const errors: string[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource,
      namespaces: [ns],
      backoff: { baseMs: 200, capMs: 2_000 },
      connectTimeoutMs: 3_000,
      handlers: { onEvent: (_r, e) => events.push(e) },
      onError: (e) => errors.push(e.kind),
      // The faults here are of paginated lists and the watches after them (the watch cache is off for ConfigMaps
      // on this server); the streaming list's fallback has its own file.
      streamingList: false,
      ...extra,
    });
    watchers.push(w);
    return { w, events, errors };
  }

  it('recovers by itself after the apiserver is killed for 20 s during churn, missing nothing', async () => {
    const ns = `kill-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const { w, events } = watch('configmaps', ns, adminKubeConfig(cluster));
    await w.start();
    let churning = true;
    let ok = 0;
    // Creates, updates and deletes; failures while the apiserver is down are expected and ignored.
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        const name = `cm-${i % 40}`;
        const path = `/api/v1/namespaces/${ns}/configmaps`;
        const res =
          i % 3 === 2
            ? await cluster.request('DELETE', `${path}/${name}`).catch(() => undefined)
            : await cluster.request('POST', path, configMap(ns, name, {}, { i: String(i) })).catch(() => undefined);
        if (res !== undefined && res.status < 300) ok++;
        if (res === undefined) await new Promise((r) => setTimeout(r, 50)); // apiserver down: don't spin
      }
    })();
    await waitFor(() => ok >= 30, 'churn before the outage', 30_000);
    await cluster.stopApiserver();
    const down = performance.now();
    await waitFor(() => w.health().consecutiveFailures >= 3 && performance.now() - down >= 20_000, 'a 20 s outage with retries', 40_000);
    expect(w.health().state).toBe('backoff');
    expect(w.health().lastError?.kind).toBe('network');
    await cluster.startApiserver();
    const okAfter = ok;
    await waitFor(() => ok >= okAfter + 30, 'churn after the outage', 60_000);
    churning = false;
    await churn;
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await waitFor(async () => w.health().state === 'watching' && sameMap(cacheSummary(w), await freshList(cluster, path)), 'the invariant check', 30_000, 100);
    expect(replay(events)).toEqual(cacheSummary(w));
    expect(w.health().synced).toBe(true);
  });

  it('falls back to one unpaginated list when etcd compaction expires the continue token mid-list', async () => {
    const ns = `cont-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await inParallel(250, 16, (i) => must(cluster, 'POST', path, configMap(ns, `cm-${i}`, {})));
    // Hold the second page's request until etcd has been compacted past the list's resourceVersion. The resource
    // is passed resolved, so no discovery request is counted.
    let requests = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedPage2 = false;
    const kc = adminKubeConfig(cluster);
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = async (opts) => {
      if (++requests === 2) {
        reachedPage2 = true;
        await held;
      }
      await apply(opts);
    };
    const configmaps = { name: 'configmaps', ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } };
    const { w, events } = watch(configmaps, ns, kc, { pageSize: 100 });
    const started = w.start();
    await waitFor(() => reachedPage2, 'the second page', 30_000);
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'after-page-1', {}));
    await cluster.compactEtcd();
    release();
    await started;
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 1, objects: 251 });
    expect(events).toHaveLength(251);
    expect(cacheSummary(w)).toEqual(await freshList(cluster, path));
  });

  it('relists once on a forced 410 and reports exactly the changes made while it was cut off', async () => {
    const ns = `gone-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 10; i++) await must(cluster, 'POST', path, configMap(ns, `cm-${i}`, {}, { v: '1' }));
    const proxy = new TcpProxy(Number(new URL(cluster.server).port));
    proxies.push(proxy);
    const port = await proxy.listen();
    const kc = adminKubeConfig(cluster);
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    const { w, events, errors } = watch('configmaps', ns, kc);
    await w.start();
    const uidOf = (name: string): string => ((w.cache.get(`${ns}/${name}`)!['metadata'] as { uid: string }).uid);
    const recreatedUid = uidOf('cm-9');
    events.length = 0;

    proxy.refuse();
    await waitFor(() => w.health().state === 'backoff', 'the watcher to notice', 30_000);
    for (const i of [0, 1, 2]) await must(cluster, 'DELETE', `${path}/cm-${i}`);
    for (const i of [3, 4]) await must(cluster, 'PUT', `${path}/cm-${i}`, configMap(ns, `cm-${i}`, {}, { v: '2' }));
    for (const i of [10, 11, 12, 13]) await must(cluster, 'POST', path, configMap(ns, `cm-${i}`, {}, { v: '1' }));
    await must(cluster, 'DELETE', `${path}/cm-9`);
    await must(cluster, 'POST', path, configMap(ns, 'cm-9', {}, { v: 'new' }));
    await cluster.compactEtcd();
    const relistsBefore = w.health().relists;
    proxy.pass();

    await waitFor(async () => w.health().state === 'watching' && sameMap(cacheSummary(w), await freshList(cluster, path)), 'recovery', 60_000, 100);
    expect(w.health().relists).toBe(relistsBefore + 1);
    const log = events.map((e) => `${e.type}${e.synthesized ? `(${e.synthesized})` : ''}:${(e.object['metadata'] as { name: string }).name}`).sort();
    expect(log).toEqual(
      [
        'delete(relist):cm-0',
        'delete(relist):cm-1',
        'delete(relist):cm-2',
        'update:cm-3',
        'update:cm-4',
        'add:cm-10',
        'add:cm-11',
        'add:cm-12',
        'add:cm-13',
        'delete(recreated):cm-9',
        'add:cm-9',
      ].sort(),
    );
    const tombstone = events.find((e) => e.synthesized === 'recreated')!;
    expect((tombstone.object['metadata'] as { uid: string }).uid).toBe(recreatedUid);
    expect(uidOf('cm-9')).not.toBe(recreatedUid);
    const deleted = events.find((e) => e.synthesized === 'relist')!;
    // What the cache keeps of it (the pipeline takes the state from what each endpoint was sent).
    expect(deleted.object).toEqual({ metadata: { name: expect.stringMatching(/^cm-[012]$/), namespace: ns, uid: expect.any(String), resourceVersion: expect.any(String) } });
    expect(errors).toContain('gone');
  });

  // configmaps have no watch cache here, so the apiserver sends no bookmarks: the worst case, where nothing but
  // the idle watchdog armed from the moment the stream opens can tell a dead path from a quiet resource.
  it('a watch whose TCP path goes silent right after it opens recovers within idleTimeoutMs plus one retry delay', async () => {
    const ns = `deadpath-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await must(cluster, 'POST', path, configMap(ns, 'before', {}));
    const proxy = new TcpProxy(Number(new URL(cluster.server).port));
    proxies.push(proxy);
    const port = await proxy.listen();
    const kc = adminKubeConfig(cluster);
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    const idleTimeoutMs = 2_000;
    const backoff = { baseMs: 200, capMs: 2_000 };
    const { w, events, errors } = watch('configmaps', ns, kc, { idleTimeoutMs, backoff });
    await w.start();
    await waitFor(() => w.health().state === 'watching', 'the watch to open', 10_000);
    // The path dies under the open watch: no FIN, no RST, nothing; new connections get through.
    expect(proxy.freeze()).toBeGreaterThan(0);
    await must(cluster, 'POST', path, configMap(ns, 'after', {}));
    // The documented bound: the idle watchdog, then the first retry delay (at most 1.5 x baseMs), then the
    // re-watch itself; the margin covers the re-watch on a loaded machine. Before the fix only the watch's own
    // deadline (timeoutSeconds + 60 s, 6 to 11 minutes) noticed.
    const bound = idleTimeoutMs + 1.5 * backoff.baseMs + 8_000;
    await waitFor(() => events.some((e) => (e.object['metadata'] as { name: string }).name === 'after'), 'the change made after the path died', bound);
    expect(w.health().scopes[0]!.watchdogAborts.idle).toBeGreaterThanOrEqual(1);
    expect(errors).toContain('watchdog');
    expect(w.health().relists).toBe(0);
    await waitFor(async () => sameMap(cacheSummary(w), await freshList(cluster, path)), 'the invariant check', 30_000, 100);
  });

  it('a quiet healthy watch without bookmarks costs one re-watch per idleTimeoutMs: no relist, no event', async () => {
    const ns = `quiet-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 5; i++) await must(cluster, 'POST', path, configMap(ns, `cm-${i}`, {}));
    const { w, events, errors } = watch('configmaps', ns, adminKubeConfig(cluster), { idleTimeoutMs: 1_000, backoff: { baseMs: 100, capMs: 1_000 } });
    await w.start();
    events.length = 0;
    const started = performance.now();
    await waitFor(() => w.health().reconnects >= 3 && w.health().state === 'watching', 'three re-watches of a quiet resource', 30_000);
    const elapsed = performance.now() - started;
    // What the cost is: a watch request from the same resourceVersion, nothing listed, nothing handed out again.
    expect(w.health().relists).toBe(0);
    expect(events).toEqual([]);
    expect(errors.every((k) => k === 'watchdog')).toBe(true);
    console.info(`quiet resource without bookmarks: ${String(w.health().reconnects)} re-watches in ${elapsed.toFixed(0)} ms (idleTimeoutMs 1000)`);
  });

  it('the idle watchdog fires when the apiserver freezes mid-stream; after thaw nothing is missed', async () => {
    const ns = `freeze-${uniqueId()}`;
    await createNamespace(cluster, ns);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    // Short server timeouts make the watch cache send a bookmark ~2 s before each deadline; churn keeps
    // the stream busy so the short idle timeout only fires when the server is really silent.
    const { w, events } = watch('secrets', ns, adminKubeConfig(cluster), {
      watchTimeoutSeconds: [5, 5],
      idleTimeoutMs: 3_000,
      deadlineGraceMs: 60_000,
      connectTimeoutMs: 2_000,
    });
    await w.start();
    let churning = true;
    let n = 0;
    const churn = (async () => {
      while (churning) {
        await must(cluster, 'POST', path, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${n}`, namespace: ns }, stringData: { k: 'v' } });
        n++;
        await new Promise((r) => setTimeout(r, 200)); // write pace, not a timing assumption
      }
    })();
    await waitFor(() => w.health().lastBookmarkAt !== undefined, 'a bookmark', 30_000);
    const seenBeforeFreeze = events.length;
    cluster.freezeApiserver();
    try {
      await waitFor(() => w.health().scopes[0]!.watchdogAborts.idle >= 1, 'the idle watchdog', 30_000);
    } finally {
      cluster.thawApiserver();
    }
    expect(events.length).toBeGreaterThan(0);
    expect(seenBeforeFreeze).toBeGreaterThan(0);
    const written = n;
    await waitFor(() => n >= written + 10, 'writes after thaw', 60_000);
    churning = false;
    await churn;
    await waitFor(async () => w.health().state === 'watching' && sameMap(cacheSummary(w), await freshList(cluster, path)), 'the invariant check', 60_000, 100);
    expect(replay(events)).toEqual(cacheSummary(w));
    expect(w.cache.size).toBe(n);
  });
});

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
