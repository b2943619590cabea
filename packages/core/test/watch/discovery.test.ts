import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveResource } from '../../src/watch/discovery.js';

const groupVersion = { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true, verbs: ['list', 'watch'] }] };
const core = {
  resources: [
    { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['list', 'watch'] },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['list', 'watch'] },
  ],
};
const exampleGroup = { name: 'example.io', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } };
const lateGroup = { name: 'late.io', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } };
const gizmos = { resources: [{ name: 'gizmos', kind: 'Gizmo', namespaced: true, verbs: ['list', 'watch'] }] };
/** Whether late.io is installed: a CRD created after a shared discovery answered. */
let lateInstalled = false;

/** Discovery documents on 127.0.0.1, counting requests per path; `failNext` answers the next /apis with a 500. */
const requests = new Map<string, number>();
let failNext = false;
const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  requests.set(path, (requests.get(path) ?? 0) + 1);
  const groups = { groups: lateInstalled ? [exampleGroup, lateGroup] : [exampleGroup] };
  const late = lateInstalled && path === '/apis/late.io/v1' ? gizmos : undefined;
  const body = path === '/api/v1' ? core : path === '/apis' ? groups : path === '/apis/example.io/v1' ? groupVersion : late;
  if (path === '/apis' && failNext) {
    failNext = false;
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"kind":"Status","code":500}');
    return;
  }
  if (body === undefined) res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
  else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
let kubeConfig: KubeConfig;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('discovery shared by the resources of one start', () => {
  // Each resource ran its own walk: 10,000 resources made 10,000 walks of the API (2.4 GB).
  it('resolves 300 names started together with one request per discovery document', async () => {
    requests.clear();
    const names = Array.from({ length: 300 }, (_, i) => ['pods', 'configmaps', 'widgets'][i % 3]!);
    const resolved = await Promise.all(names.map((name) => resolveResource(kubeConfig, name)));
    expect(new Set(resolved.map((r) => `${r.ref.group}/${r.ref.resource}`))).toEqual(new Set(['/pods', '/configmaps', 'example.io/widgets']));
    expect(Object.fromEntries(requests)).toEqual({ '/api/v1': 1, '/apis': 1, '/apis/example.io/v1': 1 });
  });

  it('does not share a failure: the next resolution asks again', async () => {
    // A fresh KubeConfig is a fresh share: this test does not see the previous test's answers.
    const fresh = new KubeConfig();
    fresh.loadFromString(kubeConfig.exportConfig());
    failNext = true;
    await expect(resolveResource(fresh, 'widgets')).rejects.toThrow();
    await expect(resolveResource(fresh, 'widgets')).resolves.toMatchObject({ ref: { group: 'example.io', resource: 'widgets' } });
  });

  // A CRD installed right after another resolution read /apis: the shared answer does not list its group yet.
  it('says a name is unknown only after asking the server again: a CRD installed within the share window resolves', async () => {
    const fresh = new KubeConfig();
    fresh.loadFromString(kubeConfig.exportConfig());
    await resolveResource(fresh, 'widgets');
    lateInstalled = true;
    requests.clear();
    try {
      await expect(resolveResource(fresh, 'gizmos')).resolves.toMatchObject({ ref: { group: 'late.io', resource: 'gizmos' } });
      expect(requests.get('/apis')).toBe(1);
      // A name still unknown is refused after one fresh walk, shared by names missing together.
      requests.clear();
      const missing = await Promise.allSettled([resolveResource(fresh, 'nothings'), resolveResource(fresh, 'nothings')]);
      expect(missing.map((m) => m.status)).toEqual(['rejected', 'rejected']);
      expect(requests.get('/apis')).toBe(1);
    } finally {
      lateInstalled = false;
    }
  });
});
