import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCluster, type TestCluster } from '../src/index.ts';

let cluster: TestCluster;

beforeAll(async () => {
  // configmaps outside the watch cache, so compacting etcd turns old resourceVersions into 410 Gone.
  cluster = await startCluster({ apiserverArgs: ['--watch-cache-sizes=configmaps#0'] });
});

afterAll(async () => {
  await cluster?.stop();
});

async function createConfigMap(name: string, data: Record<string, string>): Promise<string> {
  const res = await cluster.request('POST', '/api/v1/namespaces/default/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data,
  });
  expect(res.status).toBe(201);
  return (res.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

describe('test cluster', () => {
  it('serves Kubernetes 1.36+ and kubectl talks to it', async () => {
    const res = await cluster.kubectl(['get', '--raw', '/version']);
    expect(res.code).toBe(0);
    const version = JSON.parse(res.stdout) as { major: string; minor: string; gitVersion: string };
    expect(Number(version.minor)).toBeGreaterThanOrEqual(36);
    expect(version.gitVersion).toMatch(/^v1\.3[6-9]\.\d+$/);
  });

  it('creates and watches a ConfigMap with kubectl', async () => {
    await createConfigMap('watched', { a: '1' });
    const watch = spawn(`${cluster.binDir}/kubectl`, ['get', 'configmap', 'watched', '--watch', '--output-watch-events', '-o', 'name'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    });
    const lines = createInterface({ input: watch.stdout });
    const seen: string[] = [];
    const modified = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        seen.push(line);
        // The first line is the current state; patch only once the watch is established.
        if (seen.length === 1) void cluster.kubectl(['patch', 'configmap', 'watched', '-p', '{"data":{"a":"2"}}']);
        if (seen.length === 2) resolve();
      });
    });
    await modified;
    watch.kill();
    expect(seen).toEqual(['configmap/watched', 'configmap/watched']);
  });

  it('keeps data and tokens across an apiserver restart', async () => {
    await createConfigMap('survives', { a: '1' });
    const minted = await cluster.mintToken({
      namespace: 'harness',
      serviceAccount: 'reader',
      clusterRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    await cluster.restartApiserver();
    const res = await cluster.request('GET', '/api/v1/namespaces/default/configmaps/survives');
    expect(res.status).toBe(200);
    const kubectlAsReader = async (args: string[]) =>
      cluster.kubectl([`--kubeconfig=${minted.kubeconfigPath}`, ...args]);
    expect((await kubectlAsReader(['get', 'configmap', 'survives', '-o', 'name'])).stdout.trim()).toBe('configmap/survives');
  });

  it('mints least-privilege tokens: what the role grants works, the rest is forbidden', async () => {
    const minted = await cluster.mintToken({
      namespace: 'harness',
      serviceAccount: 'cm-only',
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    const as = (args: string[]) => cluster.kubectl([`--kubeconfig=${minted.kubeconfigPath}`, ...args]);
    expect((await as(['get', 'configmaps', '-n', 'harness'])).code).toBe(0);
    const secrets = await as(['get', 'secrets', '-n', 'harness']);
    expect(secrets.code).not.toBe(0);
    expect(secrets.stderr).toContain('forbidden');
    expect((await as(['get', 'configmaps', '-n', 'default'])).stderr).toContain('forbidden');
  });

  it('compacting etcd makes a watch from an older resourceVersion fail with 410 Gone', async () => {
    const oldRv = await createConfigMap('compacted', { a: '1' });
    await createConfigMap('compacted-2', { a: '1' });
    await createConfigMap('compacted-3', { a: '1' });
    // A watch from oldRv starts at oldRv+1; compaction keeps its own revision, so it must be beyond that.
    const revision = await cluster.compactEtcd();
    expect(revision).toBeGreaterThan(Number(oldRv) + 1);
    const res = await cluster.request(
      'GET',
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${oldRv}&timeoutSeconds=2`,
    );
    expect(res.status).toBe(200);
    const events = String(typeof res.body === 'string' ? res.body : JSON.stringify(res.body))
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { type: string; object: { code?: number } });
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('freezes and thaws the apiserver', async () => {
    cluster.freezeApiserver();
    await expect(cluster.request('GET', '/readyz', undefined, { timeoutMs: 1500 })).rejects.toThrow(/timed out/);
    cluster.thawApiserver();
    const res = await cluster.request('GET', '/readyz');
    expect(res.status).toBe(200);
  });

  it('stop() leaves no process and no data behind', async () => {
    const other = await startCluster();
    const dir = other.dir;
    const pids = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      });
    expect(pids.length).toBe(2);
    await other.stop();
    expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
