import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import type { KubeConfig } from '@kubernetes/client-node';
import { createResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { ResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { WatchEvent } from '../../src/watch/watch-event.js';
import { adminKubeConfig, cacheSummary, configMap, createNamespace, freshList, inParallel, must, replay, uniqueId } from './cluster-helpers.js';
import { waitFor } from '@watch-proxy/test-support';

// The streaming list is the default; an apiserver with the WatchList feature gate off (as Kubernetes 1.33 shipped)
// refuses `sendInitialEvents`, and the watcher must then list in pages, as client-go falls back to a LIST.
describe('streaming list against an apiserver without WatchList', () => {
  let cluster: TestCluster;
  let kc: KubeConfig;
  const watchers: ResourceWatcher[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ apiserverArgs: ['--feature-gates=WatchList=false'] });
    kc = adminKubeConfig(cluster);
  });

  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await cluster?.stop();
  });

  it('falls back to paginated lists for good, without a failure, and the watch goes on', async () => {
    const ns = `nostream-${uniqueId()}`;
    await createNamespace(cluster, ns);
    await inParallel(120, 16, (i) => must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, `cm-${i}`, {})));
    const events: WatchEvent[] = [];
    const w = createResourceWatcher({
      kubeConfig: kc,
      resource: 'configmaps',
      namespaces: [ns],
      pageSize: 50,
      handlers: { onEvent: (_r, e) => events.push(e) },
    });
    watchers.push(w);
    await w.start();
    // 3 pages of 50: the list was paginated, after the one refused streaming attempt (not counted as a failure).
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 3, objects: 120 });
    expect(w.health()).toMatchObject({ synced: true, failures: 0 });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    expect(cacheSummary(w)).toEqual(await freshList(cluster, path));
    await must(cluster, 'POST', path, configMap(ns, 'later', {}));
    await waitFor(() => w.cache.has(`${ns}/later`), 'an event on the watch after the paginated list', 10_000);
    // A relist stays paginated: the server's refusal is remembered.
    w.relist();
    await waitFor(() => w.health().relists === 1 && w.health().state === 'watching', 'the relist', 10_000);
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 3, objects: 121 });
    expect(w.health().failures).toBe(0);
    expect(replay(events)).toEqual(cacheSummary(w));
  });
});
