import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WatchProxyError } from '../../src/errors.js';
import { KubeJsonClient, KubeRequestError } from '../../src/kube/kube-json-client.js';

let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A client against a local server that answers every request with `status` and `body`. */
async function clientAnswering(status: number, body: string): Promise<KubeJsonClient> {
  server = http.createServer((_req, res) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'c', cluster: 'local', user: 'u' }],
    currentContext: 'c',
  });
  return new KubeJsonClient(kc);
}

describe('KubeJsonClient', () => {
  it('resolves with the parsed body of a 2xx answer', async () => {
    const client = await clientAnswering(200, '{"kind":"ConfigMap"}');
    expect(await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/a', timeoutMs: 5_000 })).toEqual({ kind: 'ConfigMap' });
  });

  it('rejects a non-2xx answer with a KubeRequestError in the WatchProxyError hierarchy, with its status and code', async () => {
    const client = await clientAnswering(404, '{"kind":"Status","message":"configmaps \\"a\\" not found"}');
    const error: unknown = await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/a', timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeRequestError);
    expect(error).toBeInstanceOf(WatchProxyError);
    expect(error).toMatchObject({
      name: 'KubeRequestError',
      code: 'WP_ERR_KUBE_REQUEST',
      status: 404,
      message: 'GET /api/v1/namespaces/ns/configmaps/a: 404 configmaps "a" not found',
    });
  });

  it('rejects with status 0 when the kubeconfig has no current cluster', async () => {
    const error: unknown = await new KubeJsonClient(new KubeConfig()).request({ method: 'GET', path: '/api', timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WP_ERR_KUBE_REQUEST', status: 0 });
  });
});
