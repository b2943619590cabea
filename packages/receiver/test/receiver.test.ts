import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WatchProxy, type KubeObject } from '@watch-proxy/core';
import { FakeSource } from '@watch-proxy/core/testing';
import { createHttpSink } from '@watch-proxy/http-sink';
import { createHmac } from 'node:crypto';
import { Inventory, SeenKeys, createReceiver, parseBatch, type InventoryEntry } from '../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

function sign(secret: string, key: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v1=${createHmac('sha256', secret).update(`${key}.${timestamp}.${body}`).digest('hex')}`;
  return { 'idempotency-key': key, 'x-watch-proxy-timestamp': String(timestamp), 'x-watch-proxy-signature': signature };
}

const batch = (items: unknown[]): string => JSON.stringify({ data: items, meta: null });

describe('createReceiver: verification and deduplication', () => {
  it('answers 401 to a missing, stale or wrong signature, and applies a valid one', () => {
    const receiver = createReceiver({ secret: 's3cret' });
    const body = batch([{ asset_type_id: '', data: { a: 1 }, uniqueId: 'u1', event: 'add' }]);
    expect(receiver.handle({ headers: {}, body }).status).toBe(401);
    expect(receiver.handle({ headers: sign('s3cret', 'k1', body, Math.floor(Date.now() / 1000) - 600), body })).toMatchObject({ status: 401, body: '{"error":"signature stale"}' });
    expect(receiver.handle({ headers: sign('other', 'k1', body), body })).toMatchObject({ status: 401, body: '{"error":"signature mismatch"}' });
    expect(receiver.handle({ headers: { ...sign('s3cret', 'k1', body), 'idempotency-key': 'k2' }, body }).status).toBe(401);
    expect(receiver.inventory.size).toBe(0);
    expect(receiver.handle({ headers: sign('s3cret', 'k1', body), body })).toMatchObject({ status: 200, body: '{"applied":1}' });
    expect(receiver.inventory.get('u1')?.object).toEqual({ a: 1 });
  });

  it('a batch already processed (a retry or a replay inside the window) is answered 200 and not applied again', () => {
    const receiver = createReceiver({ secret: 's' });
    const events: string[] = [];
    receiver.inventory.on('added', (e) => events.push(`added:${e.uniqueId}`));
    receiver.inventory.on('updated', (e) => events.push(`updated:${e.uniqueId}`));
    const body = batch([{ asset_type_id: '', data: { a: 1 }, uniqueId: 'u1', event: 'add' }]);
    expect(receiver.handle({ headers: sign('s', 'k', body), body }).status).toBe(200);
    expect(receiver.handle({ headers: sign('s', 'k', body), body })).toMatchObject({ status: 200, body: '{"duplicate":true}' });
    expect(events).toEqual(['added:u1']);
  });

  it('keeps a bounded number of keys, oldest out first, and forgets them after their time', () => {
    let now = 0;
    const keys = new SeenKeys(2, 1000, () => now);
    keys.add('a');
    keys.add('b');
    keys.add('c');
    expect([keys.has('a'), keys.has('b'), keys.has('c'), keys.size]).toEqual([false, true, true, 2]);
    now = 1001;
    expect(keys.has('b')).toBe(false);
  });

  it('answers 400 saying what is wrong with a body that is not a batch, and reads gzip bodies', () => {
    const receiver = createReceiver();
    expect(receiver.handle({ headers: {}, body: '{"data":[{"uniqueId":"u","event":"eat","data":{}}]}' })).toMatchObject({
      status: 400,
      body: JSON.stringify({ error: 'data[0]: event must be add, update or delete' }),
    });
    const body = gzipSync(batch([{ asset_type_id: '', data: { a: 1 }, uniqueId: 'u1', event: 'add' }]));
    expect(receiver.handle({ headers: { 'Content-Encoding': 'gzip' }, body }).status).toBe(200);
  });
});

describe('Inventory: whole items, patches and events', () => {
  it('applies a patch onto the base it names, emits the changed paths, and asks for a resend without the base', () => {
    const inventory = new Inventory();
    const updates: [string, readonly string[]][] = [];
    const deleted: InventoryEntry[] = [];
    inventory.on('updated', (entry, paths) => updates.push([entry.uniqueId, paths]));
    inventory.on('deleted', (entry) => deleted.push(entry));
    const { items } = parseBatch(
      batch([
        { asset_type_id: 'svc', data: { spec: { port: 80 }, x: 1 }, uniqueId: 'u1', event: 'add', fingerprint: 'f1' },
        { asset_type_id: 'svc', patch: [{ op: 'replace', path: '/spec/port', value: 81 }], uniqueId: 'u1', event: 'update', baseFingerprint: 'f1', fingerprint: 'f2' },
        { asset_type_id: 'svc', patch: [{ op: 'replace', path: '/x', value: 2 }], uniqueId: 'u2', event: 'update', baseFingerprint: 'f9', fingerprint: 'f10' },
      ]),
    );
    expect(inventory.apply(items)).toEqual({ applied: 2, resend: ['u2'] });
    expect(inventory.get('u1')).toMatchObject({ object: { spec: { port: 81 }, x: 1 }, fingerprint: 'f2', assetTypeId: 'svc' });
    expect(updates).toEqual([['u1', ['/spec/port']]]);
    // The same patch again (a retried batch) is already applied; a whole update reports the paths it changed.
    expect(inventory.apply(items.slice(1, 2))).toEqual({ applied: 1, resend: [] });
    inventory.apply(parseBatch(batch([{ asset_type_id: 'svc', data: { spec: { port: 81 }, x: 3 }, uniqueId: 'u1', event: 'update' }])).items);
    expect(updates.at(-1)).toEqual(['u1', ['/x']]);
    inventory.apply(parseBatch(batch([{ asset_type_id: 'svc', data: { x: 3 }, uniqueId: 'u1', event: 'delete' }])).items);
    expect([inventory.size, deleted.map((e) => e.object)]).toEqual([0, [{ spec: { port: 81 }, x: 3 }]]);
  });

  it('parses CloudEvents batches, patches included', () => {
    const { items } = parseBatch(
      JSON.stringify([
        { specversion: '1.0', id: 'x', type: 'io.watch-proxy.certificates.cert-manager.io.add', uniqueid: 'u1', datacontenttype: 'application/json', data: { a: 1 }, fingerprint: 'f1', assettypeid: 'cert' },
        { specversion: '1.0', id: 'y', type: 'io.watch-proxy.certificates.cert-manager.io.update', uniqueid: 'u1', datacontenttype: 'application/json-patch+json', data: [{ op: 'add', path: '/b', value: 2 }], basefingerprint: 'f1', fingerprint: 'f2' },
      ]),
    );
    const inventory = new Inventory();
    expect(inventory.apply(items)).toEqual({ applied: 2, resend: [] });
    expect(inventory.get('u1')).toMatchObject({ object: { a: 1, b: 2 }, fingerprint: 'f2' });
  });
});

describe('framework adapters', () => {
  const body = batch([{ asset_type_id: '', data: { a: 1 }, uniqueId: 'u1', event: 'add' }]);

  it('fetch: a Request in, a Response out', async () => {
    const receiver = createReceiver();
    const response = await receiver.fetch(new Request('http://x/hook', { method: 'POST', body, headers: { 'Idempotency-Key': 'k' } }));
    expect([response.status, await response.text()]).toEqual([200, '{"applied":1}']);
  });

  it('fastify: a buffer body and a reply', async () => {
    const receiver = createReceiver();
    const sent: unknown[] = [];
    const reply = { code: (s: number) => sent.push(s), header: (n: string, v: string) => sent.push(`${n}: ${v}`), send: (b: string) => sent.push(b) };
    await receiver.fastify({ headers: {}, body: Buffer.from(body) }, reply);
    expect(sent).toEqual([200, 'content-type: application/json', '{"applied":1}']);
    await receiver.fastify({ headers: {}, body: { parsed: true } }, reply);
    expect(sent[3]).toBe(500);
  });

  it('node:http (and Express with express.raw): a body already read is used as is', async () => {
    const receiver = createReceiver();
    const url = await serve((req, res) => {
      void receiver.node(req, res);
    });
    const response = await fetch(url, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(receiver.inventory.size).toBe(1);
  });
});

describe('against watch-proxy over loopback HTTP (core + http-sink, deltaUpdates, signed)', () => {
  it('the inventory equals the source after adds, updates (as patches) and deletes; a receiver that drops its state recovers through the resend answer', async () => {
    const receiver = createReceiver({ secret: 'hook-secret' });
    let patches = 0;
    receiver.inventory.on('updated', (_e, paths) => {
      if (paths.length > 0) patches++;
    });
    const answers: number[] = [];
    const url = await serve((req, res) => {
      res.on('finish', () => answers.push(res.statusCode));
      void receiver.node(req, res);
    });
    const source = new FakeSource({ configmaps: [] });
    const proxy = new WatchProxy({
      resources: [{ name: 'configmaps', pruneFields: ['metadata.resourceVersion'] }],
      watchSource: source.factory,
      clusterName: 'dev',
      deltaUpdates: true,
      sinks: [createHttpSink({ name: 'hook', url, signingSecretVar: 'HOOK_SECRET', env: { HOOK_SECRET: 'hook-secret' } })],
    });
    await proxy.start();
    const cm = (name: string, value: number): KubeObject => ({
      metadata: { name, namespace: 'ns', uid: `u-${name}`, resourceVersion: String(value) },
      data: { value: String(value), filler: 'x'.repeat(1000) },
    });
    for (const name of ['a', 'b', 'c']) source.add('configmaps', cm(name, 1));
    await proxy.flush();
    source.update('configmaps', cm('a', 2));
    source.update('configmaps', cm('b', 2));
    source.remove('configmaps', cm('c', 1));
    await proxy.flush();
    const held = (): Record<string, unknown> => Object.fromEntries([...receiver.inventory.entries()].map((e) => [e.uniqueId, (e.object['data'] as { value: string }).value]));
    expect(held()).toEqual({ 'dev-u-a': '2', 'dev-u-b': '2' });
    expect(patches).toBe(2);

    receiver.inventory.clear();
    source.update('configmaps', cm('a', 3));
    source.update('configmaps', cm('b', 3));
    await proxy.flush();
    await proxy.shutdown();
    expect(held()).toEqual({ 'dev-u-a': '3', 'dev-u-b': '3' });
    expect(answers).toContain(409);
    expect(answers.at(-1)).toBe(200);
  });
});
