import { PassThrough } from 'node:stream';

import type { Change, SendContext } from '@watch-proxy/core';
import { silentLogger } from '@watch-proxy/core';
import { describe, expect, it } from 'vitest';

import { createStdoutSink } from '../../src/stdout-sink.js';

const ctx: SendContext = { signal: new AbortController().signal, attempt: 1, deadline: Date.now() + 1000, logger: silentLogger };

describe('createStdoutSink', () => {
  it('prints each batch as one line of the original payload', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const sink = createStdoutSink({ stream, clusterName: 'c1', metadata: { region: 'east' } });
    const change = {
      key: 'services|default/a',
      resource: 'services',
      assetId: 'svc',
      event: 'add',
      uniqueId: 'c1-u1',
      object: { metadata: { name: 'a', namespace: 'default', uid: 'u1', uniqueId: 'c1-u1' } },
    } as unknown as Change;
    const outcome = await sink.send({ id: 'b1', items: [change], bytes: 10, createdAt: 0 }, ctx);
    expect(outcome).toEqual({ status: 'delivered' });
    expect(sink.name).toBe('stdout');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2);
    const doc = JSON.parse(out) as { data: { asset_type_id: string; uniqueId: string; event: string }[]; meta: unknown };
    expect(doc.meta).toEqual({ cluster: 'c1', region: 'east' });
    expect(doc.data[0]).toMatchObject({ asset_type_id: 'svc', uniqueId: 'c1-u1', event: 'add' });
  });

  it('format text prints one line per change instead of the payload', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const sink = createStdoutSink({ stream, format: 'text' });
    const base = { resource: 'services', assetId: 'svc', uid: 'u1', namespace: 'default', name: 'a', uniqueId: 'c1-u1', fingerprint: 'f', observedAt: 0 };
    const items = [
      { ...base, key: 'services|default/a', event: 'add', object: { metadata: { name: 'a' }, spec: { type: 'ClusterIP' } } },
      { ...base, key: 'services|default/a', event: 'update', object: { metadata: { name: 'a' }, spec: { type: 'NodePort' } } },
    ] as Change[];
    expect(await sink.send({ id: 'b1', items, bytes: 10, createdAt: 0 }, ctx)).toEqual({ status: 'delivered' });
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ add {5}services {6}default\/a$/);
    expect(lines[1]).toMatch(/ update {2}services {6}default\/a {2}spec\.type$/);
  });

  it('answers retryable when the stream fails', async () => {
    const stream = new PassThrough();
    stream.destroy();
    const sink = createStdoutSink({ stream });
    const outcome = await sink.send({ id: 'b1', items: [], bytes: 0, createdAt: 0 }, ctx);
    expect(outcome.status).toBe('retryable');
  });
});
