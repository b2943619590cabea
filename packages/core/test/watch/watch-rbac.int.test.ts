import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { KubeConfig } from '@kubernetes/client-node';
import { createResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { ResourceWatcher } from '../../src/watch/resource-watcher.js';
import { cacheSummary, configMap, freshList, must, uniqueId } from './cluster-helpers.js';
import { waitFor } from '@watch-proxy/test-support';

describe('resource watcher with a restricted ServiceAccount', () => {
  let cluster: TestCluster;
  let watcher: ResourceWatcher | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
  });

  afterAll(async () => {
    await watcher?.stop();
    await cluster?.stop();
  });

  it('reports a clear 403 with long backoff, then recovers when a RoleBinding grants list and watch', async () => {
    const ns = `rbac-${uniqueId()}`;
    // Only `get`: enough to exist, not enough to list or watch.
    const minted = await cluster.mintToken({
      namespace: ns,
      serviceAccount: 'watcher',
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    const kc = new KubeConfig();
    kc.loadFromFile(minted.kubeconfigPath);
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'existing', {}));
    const errors: { kind: string; status: number | undefined; message: string }[] = [];
    watcher = createResourceWatcher({
      kubeConfig: kc,
      resource: { name: 'configmaps', ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } },
      namespaces: [ns],
      // The degraded cap is shortened so the test sees a few retries; growth is what is checked.
      backoff: { baseMs: 300, capMs: 1_000, degradedCapMs: 2_400, random: () => 0.5 },
      handlers: { onEvent: () => {} },
      onError: (e) => errors.push({ kind: e.kind, status: e.status, message: e.message }),
    });
    const w = watcher;
    await w.start(); // resolves: degraded, not synced
    expect(w.health()).toMatchObject({ state: 'degraded', synced: false, lastError: { kind: 'forbidden', status: 403, code: 'WP_ERR_WATCH_FORBIDDEN' } });
    // A streaming list (the default) is a watch request: refused as `watch`, a paginated list as `list`.
    expect(w.health().lastError!.message).toMatch(/cannot (list|watch) resource "configmaps"/);
    expect(w.health().lastError!.message).not.toContain(minted.token);
    await waitFor(() => errors.length >= 3, 'retries while forbidden', 30_000);
    // Delays grow while degraded (random 0.5 removes jitter): 300, 600, 1200 ms...
    const gaps = w.health().scopes[0]!.nextAttemptAt! - w.health().lastError!.at;
    expect(gaps).toBeGreaterThanOrEqual(1_200);
    expect(errors.every((e) => e.kind === 'forbidden' && e.status === 403)).toBe(true);

    await must(cluster, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'lister', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }],
    });
    await must(cluster, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'lister', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lister' },
      subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: ns }],
    });
    await waitFor(() => w.health().state === 'watching', 'recovery after the RoleBinding', 30_000);
    expect(w.health()).toMatchObject({ synced: true, lastError: undefined });
    await must(cluster, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'after', {}));
    await waitFor(() => w.cache.has(`${ns}/after`), 'a watched event', 10_000);
    expect(cacheSummary(w)).toEqual(await freshList(cluster, `/api/v1/namespaces/${ns}/configmaps`));
  });
});
