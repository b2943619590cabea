/**
 * The built daemon against a real apiserver, with its endpoint reachable only through a forward proxy on
 * loopback (HTTP_PROXY with credentials): changes arrive, and neither the proxy's credentials nor the token in
 * the endpoint's path reach the logs.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { DaemonRun, Receiver } from './harness.js';

const E2E_TIMEOUT_MS = 180_000;
// Resolved by nothing but the proxy below, which sends every request to 127.0.0.1 on the requested port.
const HIDDEN_HOST = 'inventory.internal.test';
const PROXY_USER = 'egress';
const PROXY_PASSWORD = 'pr0xy-s3cret';
const PATH_TOKEN = 'T0KEN-in-path';

let cluster: TestCluster;
const dir = mkdtempSync(join(tmpdir(), 'wp-proxy-e2e-'));
let proxy: Server | undefined;
const proxied: { target: string; proxyAuthorization: string | undefined }[] = [];
let receiver: Receiver | undefined;
let daemon: DaemonRun | undefined;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await daemon?.kill();
  await receiver?.close();
  proxy?.closeAllConnections();
  proxy?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An absolute-URI forward proxy requiring basic Proxy-Authorization. */
async function startProxy(): Promise<string> {
  const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;
  proxy = createServer((req, res) => {
    const proxyAuthorization = req.headers['proxy-authorization'];
    proxied.push({ target: req.url ?? '', proxyAuthorization });
    if (proxyAuthorization !== expected) {
      res.writeHead(407).end();
      return;
    }
    const url = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: '127.0.0.1', port: Number(url.port), method: req.method, path: url.pathname, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${String((proxy.address() as AddressInfo).port)}`;
}

describe('an endpoint behind a forward proxy, on a real apiserver', () => {
  it('gets its changes through HTTP_PROXY; credentials and the path token never logged', async () => {
    const ns = 'egress-proxy';
    await cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    receiver = await new Receiver().listen();
    const proxyUrl = await startProxy();
    const port = new URL(receiver.url()).port;
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `clusterName: c\nstateDir: ${join(dir, 'state')}\nremoteEndpoints:\n- url: http://${HIDDEN_HOST}:${port}/hooks/${PATH_TOKEN}\nresources:\n- name: configmaps\n  namespaces: [${ns}]\n`,
    );
    daemon = new DaemonRun(['-c', config, '--kubeconfig', cluster.kubeconfigPath, '--log-level', 'debug'], { HTTP_PROXY: proxyUrl });
    await daemon.waitForLog('initial sync done');
    await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-proxy' }, data: { k: 'v' } });
    await waitFor(() => receiver?.about('via-proxy').some((item) => item.event === 'add') === true, 'the ConfigMap at the receiver, through the proxy');
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.every((r) => r.target.startsWith(`http://${HIDDEN_HOST}:${port}/hooks/`))).toBe(true);
    expect(receiver.requests.every((r) => r.headers['proxy-authorization'] === undefined)).toBe(true);

    daemon.signal('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const logs = `${daemon.stderr}\n${daemon.stdout}`;
    expect(logs).toContain('through a proxy');
    expect(logs).not.toContain(PROXY_PASSWORD);
    expect(logs).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'));
    expect(logs).not.toContain(PATH_TOKEN);
  }, E2E_TIMEOUT_MS);
});
