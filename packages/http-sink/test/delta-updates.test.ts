import { describe, expect, it } from 'vitest';
import { WatchProxy, type Change } from '@watch-proxy/core';
import { delivered } from '@watch-proxy/core/sink';
import { encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { FakeSource } from '@watch-proxy/core/testing';
import { useSinkFixture } from './helpers/sink-fixture.js';
import { batch, change, context } from './helpers/sink-harness.js';

const fx = useSinkFixture();

function patched(index: number): Change {
  return { ...change(index, 'update'), delta: { form: 'patch', patch: [{ op: 'replace', path: '/data/value', value: 'y' }], baseFingerprint: `base${index}` } };
}

describe('deltaUpdates on the wire', () => {
  it('POSTs a patch item as the payload encoder writes it', async () => {
    const items = [patched(1), { ...change(2), delta: { form: 'full' } } as Change];
    const outcome = await fx.sinkFor().send(batch(items), context());
    expect(outcome).toEqual(delivered());
    const body = fx.receiver.requests[0]?.body.toString('utf8');
    expect(body).toBe(encodeWatchProxyPayload(items, null));
    expect(JSON.parse(body ?? '')).toMatchObject({
      data: [
        { patch: [{ op: 'replace', path: '/data/value', value: 'y' }], uniqueId: 'dev-uid-1', event: 'update', baseFingerprint: 'base1', fingerprint: 'fp1' },
        { data: { metadata: { name: 'obj-2' } }, uniqueId: 'dev-uid-2', event: 'add', fingerprint: 'fp2' },
      ],
    });
  });

  it('as CloudEvents: a patch is the data (application/json-patch+json) with basefingerprint and fingerprint; its id names both', async () => {
    const items = [patched(1), { ...change(2), delta: { form: 'full' } } as Change, change(3)];
    await fx.sinkFor({ format: 'cloudevents', clusterName: 'dev' }).send(batch(items), context());
    const events = JSON.parse(fx.receiver.requests[0]?.body.toString('utf8') ?? '') as Record<string, unknown>[];
    expect(events[0]).toMatchObject({
      id: 'dev-uid-1.update.base1.fp1',
      type: 'io.watch-proxy.configmaps.update',
      datacontenttype: 'application/json-patch+json',
      data: [{ op: 'replace', path: '/data/value', value: 'y' }],
      basefingerprint: 'base1',
      fingerprint: 'fp1',
    });
    expect(events[1]).toMatchObject({ id: 'dev-uid-2.add.fp2', datacontenttype: 'application/json', fingerprint: 'fp2' });
    expect(events[1]).not.toHaveProperty('basefingerprint');
    // Without deltaUpdates nothing new appears.
    expect(events[2]).not.toHaveProperty('fingerprint');
  });
});

describe('the resend answer (409 {"resend":[uniqueIds]})', () => {
  it('is the resend outcome naming the items with those uniqueIds', async () => {
    fx.receiver.handle((_request, res) => {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ resend: ['dev-uid-3', 'dev-uid-1', 'unknown'] }));
    });
    const outcome = await fx.sinkFor().send(batch([patched(1), patched(2), patched(3)]), context());
    expect(outcome).toMatchObject({ status: 'resend', resend: [0, 2] });
  });

  it('reads a list longer than an error excerpt (1,000 uniqueIds)', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => patched(i));
    fx.receiver.handle((_request, res) => {
      res.writeHead(409).end(JSON.stringify({ resend: items.map((c) => c.uniqueId) }));
    });
    const outcome = await fx.sinkFor().send(batch(items), context());
    expect(outcome.status === 'resend' ? outcome.resend.length : outcome.status).toBe(1000);
  });

  it('a 409 without a resend list is a refusal like before', async () => {
    fx.receiver.handle((_request, res) => {
      res.writeHead(409).end('conflict');
    });
    const outcome = await fx.sinkFor().send(batch([patched(1)]), context());
    expect(outcome).toMatchObject({ status: 'rejected', code: 409 });
  });

  it('through core: a receiver that lost its state gets the named objects again whole, at once', async () => {
    const source = new FakeSource({ configmaps: [] });
    const bodies: { data: { uniqueId: string; patch?: unknown; data?: unknown }[] }[] = [];
    let lost = false;
    fx.receiver.handle((request, res) => {
      const body = JSON.parse(request.body.toString('utf8')) as (typeof bodies)[number];
      bodies.push(body);
      const lacking = lost ? body.data.filter((item) => item.patch !== undefined).map((item) => item.uniqueId) : [];
      if (lacking.length > 0) res.writeHead(409).end(JSON.stringify({ resend: lacking }));
      else res.writeHead(200).end();
    });
    const proxy = new WatchProxy({
      resources: ['configmaps'],
      watchSource: source.factory,
      clusterName: 'dev',
      deltaUpdates: true,
      sinks: [fx.sinkFor({ name: 'receiver' })],
    });
    await proxy.start();
    const object = (name: string, value: string): Record<string, unknown> => ({
      metadata: { name, namespace: 'ns', uid: `u-${name}` },
      data: { value, filler: 'x'.repeat(500) },
    });
    source.add('configmaps', object('a', '1'));
    source.add('configmaps', object('b', '1'));
    await proxy.flush();
    lost = true;
    source.update('configmaps', object('a', '2'));
    source.update('configmaps', object('b', '2'));
    await proxy.flush();
    await proxy.shutdown();
    const sent = bodies.map((b) => b.data.map((item) => `${item.uniqueId}:${item.patch === undefined ? 'whole' : 'patch'}`));
    expect(sent).toEqual([['dev-u-a:whole', 'dev-u-b:whole'], ['dev-u-a:patch', 'dev-u-b:patch'], ['dev-u-a:whole', 'dev-u-b:whole']]);
    expect(proxy.stats().sinks['receiver']).toMatchObject({ delivered: 4, retries: 0 });
  });
});
