/**
 * A receiver that refuses batches, against the real apiserver: the pipeline as the daemon builds it (core's
 * WatchProxy with the HTTP sink) must still bring the receiver equal to the cluster: a 413 splits batches until
 * they fit, and changes refused for a while (400, a redirect) are sent again once the receiver is fixed, with no
 * restart and no further change in the cluster.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy } from '@watch-proxy/core';
import { createHttpSink } from '@watch-proxy/http-sink';
import { startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';


let cluster: TestCluster;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  cluster = await startCluster();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
});
afterAll(async () => {
  await cluster?.stop();
});

interface Item {
  readonly event: string;
  readonly data: { metadata: { name: string; namespace: string; uid: string; resourceVersion: string } };
}

/** A loopback receiver: `answer` decides each request's status from its body size; accepted items build its view. */
class Receiver {
  readonly statuses: number[] = [];
  /** ns/name → uid@resourceVersion, as the accepted payloads built it. */
  readonly view = new Map<string, string>();
  answer: (bytes: number) => number = () => 200;
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = this.answer(body.length);
        this.statuses.push(status);
        if (status === 200) {
          for (const item of (JSON.parse(body.toString('utf8')) as { data: Item[] }).data) {
            const m = item.data.metadata;
            const key = `${m.namespace}/${m.name}`;
            if (item.event === 'delete') {
              if (this.view.get(key)?.startsWith(`${m.uid}@`) === true) this.view.delete(key);
            } else this.view.set(key, `${m.uid}@${m.resourceVersion}`);
          }
        }
        const headers = status >= 300 && status <= 399 ? { Location: 'http://127.0.0.1:9/elsewhere' } : {};
        res.writeHead(status, headers).end(status === 200 ? 'ok' : 'no');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${String((this.#server.address() as AddressInfo).port)}/watch-proxy`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function inCluster(ns: string): Promise<Map<string, string>> {
  const list = await cluster.requestOk('GET', `/api/v1/namespaces/${ns}/configmaps`);
  const out = new Map<string, string>();
  for (const o of list['items'] as { metadata: { name: string; uid: string; resourceVersion: string } }[]) {
    out.set(`${ns}/${o.metadata.name}`, `${o.metadata.uid}@${o.metadata.resourceVersion}`);
  }
  return out;
}

function same(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

async function withProxy<T>(
  ns: string,
  url: string,
  options: { emitIntervalMs?: number; rejectedRetryIntervalMs?: number; emitBatchMaxObjects?: number },
  body: (proxy: WatchProxy, stateDir: string) => Promise<T>,
): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), 'wp-refused-'));
  const sink = createHttpSink({ name: 'receiver', url, startupCheck: 'none' });
  const proxy = new WatchProxy({ kubeConfig, resources: ['configmaps'], sinks: [{ sink, namespaces: [ns] }], stateDir, ...options });
  await proxy.start();
  try {
    return await body(proxy, stateDir);
  } finally {
    await proxy.shutdown();
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe('a receiver that refuses batches', () => {
  it('behind a 64 KiB body limit (413) gets every object of a burst of 6 KB ConfigMaps', async () => {
    const ns = `wp-413-${Date.now().toString(36)}`;
    await cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const receiver = new Receiver();
    receiver.answer = (bytes) => (bytes > 64 * 1024 ? 413 : 200);
    const url = await receiver.listen();
    try {
      await withProxy(ns, url, { emitIntervalMs: 300, emitBatchMaxObjects: 100 }, async (proxy) => {
        const value = 'v'.repeat(6 * 1024);
        await Promise.all(
          Array.from({ length: 80 }, (_v, i) =>
            cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { value } }),
          ),
        );
        const expected = await inCluster(ns);
        expect(expected.size).toBe(80);
        await waitFor(() => same(receiver.view, expected), 'the receiver to hold every ConfigMap', 60_000);
        // The burst really was refused as too large at first: this is the path under test.
        expect(receiver.statuses).toContain(413);
        expect(proxy.stats().sinks['receiver']).toMatchObject({ rejected: 0, owed: 0 });
      });
    } finally {
      await receiver.close();
    }
  });

  it.each([400, 302])('answering %i for a while ends equal to the cluster once fixed, with no restart and no further change', async (refusal) => {
    const ns = `wp-${String(refusal)}-${Date.now().toString(36)}`;
    await cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' }, data: { a: '1' } });
    const receiver = new Receiver();
    const url = await receiver.listen();
    try {
      await withProxy(ns, url, { emitIntervalMs: 50, rejectedRetryIntervalMs: 1000 }, async (proxy, stateDir) => {
        await waitFor(() => receiver.view.size === 1, 'the first object to arrive');
        receiver.answer = () => refusal;
        for (let i = 0; i < 5; i++) {
          await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
        }
        const before = await cluster.requestOk('GET', `/api/v1/namespaces/${ns}/configmaps/before`);
        await cluster.requestOk('PUT', `/api/v1/namespaces/${ns}/configmaps/before`, { ...before, data: { a: '2' } });
        await cluster.requestOk('DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-0`);
        await waitFor(() => (proxy.stats().sinks['receiver']?.owed ?? 0) >= 5, 'the refused changes to be owed');
        // Written off the delivery path: wait for the first record rather than assume it is there yet.
        const file = join(stateDir, 'dead-letter.receiver.ndjson');
        const records = async (): Promise<string[]> => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
        await waitFor(async () => (await records()).length > 0, 'a dead-letter record', 30_000, 50);
        const [first] = await records();
        expect(JSON.parse(first ?? '{}')).toMatchObject({ endpoint: 'receiver', resource: 'configmaps', namespace: ns, code: refusal });
        expect(first).not.toContain('"data"');

        receiver.answer = () => 200; // fixed; nothing changes in the cluster from here on
        const expected = await inCluster(ns);
        await waitFor(() => same(receiver.view, expected), 'the receiver to equal the cluster', 30_000);
        expect(proxy.stats().sinks['receiver']?.owed).toBe(0);
      });
    } finally {
      await receiver.close();
    }
  });
});
