import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WatchProxyError } from '@watch-proxy/core';
import { buildMeta, encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { createHttpSink, verifySignature } from '../src/index.js';
import { goldenNames, loadGolden } from '../../core/test/payload/golden.js';
import { useSinkFixture } from './helpers/sink-fixture.js';
import { batch, change, context } from './helpers/sink-harness.js';

const fx = useSinkFixture();
const sinkFor = fx.sinkFor;

function errorOf(fn: () => unknown): WatchProxyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WatchProxyError);
    return error as WatchProxyError;
  }
  throw new Error('expected a throw');
}

describe('the original payload', () => {
  it.each(goldenNames)('POSTs the golden %s body byte for byte as application/json', async (name) => {
    const golden = loadGolden(name);
    // The golden meta is what buildMeta gives for it: pass it as metadata with no cluster name.
    const sink = sinkFor({ metadata: golden.meta });
    const outcome = await sink.send(batch(golden.items), context());
    expect(outcome).toEqual({ status: 'delivered' });
    const [request] = fx.receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/watch-proxy');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['content-length']).toBe(String(golden.body.length));
    expect(request?.body.equals(golden.body)).toBe(true);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('adds clusterName to meta as the original did', async () => {
    const golden = loadGolden('service');
    const sink = sinkFor({ clusterName: 'dev-cluster', metadata: { region: 'east', platform: 'baremetal' } });
    await sink.send(batch(golden.items), context());
    expect(fx.receiver.requests[0]?.body.equals(golden.body)).toBe(true);
  });

  it('builds meta per batch from the batch’s cluster (several clusters), its metadata over the endpoint’s', async () => {
    const golden = loadGolden('service');
    const sink = sinkFor({ clusterName: 'ignored', metadata: { region: 'east', platform: 'baremetal' } });
    await sink.send({ ...batch(golden.items), cluster: { name: 'b', metadata: { region: 'west' } } }, context());
    await sink.send({ ...batch(golden.items), cluster: { name: 'c' } }, context());
    // clusterUid: the cluster's uid as meta.clusterUid; a single cluster's batch is stamped with its clusterName.
    await sink.send({ ...batch(golden.items), cluster: { name: 'c', uid: 'uid-c' } }, context());
    await sink.send({ ...batch(golden.items), cluster: { name: '', uid: 'uid-0' } }, context());
    const metas = fx.receiver.requests.map((r) => (JSON.parse(r.body.toString('utf8')) as { meta: unknown }).meta);
    expect(metas).toEqual([
      { cluster: 'b', platform: 'baremetal', region: 'west' },
      { cluster: 'c', platform: 'baremetal', region: 'east' },
      { cluster: 'c', clusterUid: 'uid-c', platform: 'baremetal', region: 'east' },
      { clusterUid: 'uid-0', platform: 'baremetal', region: 'east' },
    ]);
    // The items are the same bytes: only meta is the cluster's.
    const data = fx.receiver.requests.map((r) => r.body.toString('utf8').split(',"meta":')[0]);
    expect(data[0]).toBe(golden.body.toString('utf8').split(',"meta":')[0]);
  });

  it('sends the exact basic auth header, one trailing newline stripped from each variable', async () => {
    const sink = sinkFor({ usernameVar: 'WP_USER', passwordVar: 'WP_PASS', env: { WP_USER: 'admin\n', WP_PASS: 'p@ss:word\n\n' } });
    await sink.send(batch([change(1)]), context());
    // Only one newline goes: the password keeps its second one, as Go's strings.TrimSuffix did.
    const expected = `Basic ${Buffer.from('admin:p@ss:word\n').toString('base64')}`;
    expect(fx.receiver.requests[0]?.headers.authorization).toBe(expected);
    expect(expected).toBe('Basic YWRtaW46cEBzczp3b3JkCg==');
  });

  it('sends no auth when the username variable is empty, even with a password', async () => {
    const sink = sinkFor({ usernameVar: 'WP_USER', passwordVar: 'WP_PASS', env: { WP_USER: '\n', WP_PASS: 'secret' } });
    await sink.send(batch([change(1)]), context());
    expect(fx.receiver.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('fails at creation when a named variable is missing, naming the variable and not leaking values', () => {
    const error = errorOf(() => createHttpSink({ url: fx.receiver.url, usernameVar: 'WP_USER', passwordVar: 'WP_PASS', env: { WP_USER: 'topsecret-user' } }));
    expect(error.code).toBe('WP_ERR_CONFIG_INVALID');
    expect(error.message).toContain('WP_PASS');
    expect(error.message).not.toContain('topsecret-user');
  });

  it('sends the same batch id as the idempotency key on every attempt', async () => {
    const sink = sinkFor();
    await sink.send(batch([change(1)], 'b-42'), context(1));
    await sink.send(batch([change(1)], 'b-42'), context(2));
    expect(fx.receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual(['b-42', 'b-42']);
  });
});

describe('headers and auth beyond the original', () => {
  it('adds literal and env-sourced headers, and a bearer token from a variable', async () => {
    const sink = sinkFor({
      headers: { 'X-Tenant': 'blue', 'X-Api-Key': { env: 'API_KEY' } },
      bearerTokenVar: 'TOKEN',
      idempotencyKeyHeader: 'X-Request-Id',
      env: { API_KEY: 'k-123', TOKEN: 't-456\n' },
    });
    await sink.send(batch([change(1)], 'b-1'), context());
    const headers = fx.receiver.requests[0]?.headers;
    expect(headers?.['x-tenant']).toBe('blue');
    expect(headers?.['x-api-key']).toBe('k-123');
    expect(headers?.authorization).toBe('Bearer t-456');
    expect(headers?.['x-request-id']).toBe('b-1');
  });

  it('re-reads a bearer token file when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-sink-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, 'first\n');
      const sink = sinkFor({ bearerTokenFile: file });
      await sink.send(batch([change(1)]), context());
      writeFileSync(file, 'second-longer\n');
      await sink.send(batch([change(1)]), context());
      expect(fx.receiver.requests.map((r) => r.headers.authorization)).toEqual(['Bearer first', 'Bearer second-longer']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses headers the sink owns and two sources of Authorization', () => {
    expect(errorOf(() => createHttpSink({ url: fx.receiver.url, headers: { 'Content-Type': 'text/plain' } })).message).toContain('Content-Type');
    expect(
      errorOf(() => createHttpSink({ url: fx.receiver.url, usernameVar: 'U', bearerTokenVar: 'T', env: { U: 'u', T: 't' } })).message,
    ).toContain('only one of');
  });

  it('refuses header values that could not be sent, without showing them', () => {
    const error = errorOf(() => createHttpSink({ url: fx.receiver.url, bearerTokenVar: 'T', env: { T: 'abc\ndef' } }));
    expect(error.message).toContain('Authorization');
    expect(error.message).not.toContain('abc');
    expect(errorOf(() => createHttpSink({ url: fx.receiver.url, headers: { 'idempotency-key': 'x' } })).message).toContain('idempotency');
  });

  it('gzips the body when asked', async () => {
    const golden = loadGolden('namespace');
    const sink = sinkFor({ compression: 'gzip', metadata: golden.meta });
    await sink.send(batch(golden.items), context());
    const request = fx.receiver.requests[0];
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(request?.body ?? Buffer.alloc(0)).equals(golden.body)).toBe(true);
  });
});

describe('signing', () => {
  // The fx.receiver side, written from docs/payload.md only.
  function verify(secret: string, headers: Record<string, string | string[] | undefined>, body: Buffer, nowSeconds: number): boolean {
    const key = String(headers['idempotency-key']);
    const timestamp = String(headers['x-watch-proxy-timestamp']);
    const signature = String(headers['x-watch-proxy-signature']);
    if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
    const expected = `v1=${createHmac('sha256', secret).update(`${key}.${timestamp}.`).update(body).digest('hex')}`;
    return expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  }

  it('signs with a timestamped HMAC-SHA256 that the documented recipe verifies', async () => {
    const sink = sinkFor({ signingSecretVar: 'SIGNING', env: { SIGNING: 's3cret\n' } });
    await sink.send(batch([change(1), change(2, 'delete')], 'b-7'), context());
    const request = fx.receiver.requests[0]!;
    const now = Math.floor(Date.now() / 1000);
    expect(verify('s3cret', request.headers, request.body, now)).toBe(true);
    // A wrong secret, a tampered body, a swapped key and a replay outside the window all fail.
    expect(verify('other', request.headers, request.body, now)).toBe(false);
    expect(verify('s3cret', request.headers, Buffer.concat([request.body, Buffer.from(' ')]), now)).toBe(false);
    expect(verify('s3cret', { ...request.headers, 'idempotency-key': 'b-8' }, request.body, now)).toBe(false);
    expect(verify('s3cret', request.headers, request.body, now + 301)).toBe(false);
  });

  it('offers verifySignature for Node receivers, agreeing with the recipe', async () => {
    const sink = sinkFor({ signingSecretVar: 'SIGNING', env: { SIGNING: 'k2' } });
    await sink.send(batch([change(1)], 'b-9'), context());
    const request = fx.receiver.requests[0]!;
    const signed = {
      secret: 'k2',
      body: request.body,
      idempotencyKey: request.headers['idempotency-key'] as string,
      timestamp: request.headers['x-watch-proxy-timestamp'] as string,
      signature: request.headers['x-watch-proxy-signature'] as string,
    };
    expect(verifySignature(signed)).toBe(true);
    expect(verifySignature({ ...signed, secret: 'k3' })).toBe(false);
    expect(verifySignature({ ...signed, idempotencyKey: 'b-10' })).toBe(false);
    expect(verifySignature({ ...signed, signature: undefined })).toBe(false);
    expect(verifySignature({ ...signed, now: Date.now() + 301_000 })).toBe(false);
    expect(verifySignature({ ...signed, now: Date.now() + 301_000, toleranceSeconds: 400 })).toBe(true);
  });

  it('signs the uncompressed body when gzip is on', async () => {
    const sink = sinkFor({ signingSecretVar: 'SIGNING', compression: 'gzip', env: { SIGNING: 'k' } });
    await sink.send(batch([change(1)]), context());
    const request = fx.receiver.requests[0]!;
    expect(verify('k', request.headers, gunzipSync(request.body), Math.floor(Date.now() / 1000))).toBe(true);
  });
});

describe('formats and endpoint types', () => {
  it('sends a CloudEvents batch with stable ids', async () => {
    const sink = sinkFor({ format: 'cloudevents', clusterName: 'dev' });
    const items = [change(1), { ...change(2, 'delete'), namespace: '', name: 'node-2' }];
    await sink.send(batch(items), context());
    await sink.send(batch(items), context());
    const [first, second] = fx.receiver.requests;
    expect(first?.headers['content-type']).toBe('application/cloudevents-batch+json');
    const events = JSON.parse(first!.body.toString('utf8')) as Record<string, unknown>[];
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      type: 'io.watch-proxy.configmaps.add',
      source: 'dev',
      subject: 'default/obj-1',
      time: '2026-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      uniqueid: 'dev-uid-1',
      assettypeid: 'cm',
      data: items[0]!.object,
    });
    expect(events[1]).toMatchObject({ type: 'io.watch-proxy.configmaps.delete', subject: 'node-2' });
    expect(events[0]?.['id']).not.toBe(events[1]?.['id']);
    expect(second?.body.equals(first!.body)).toBe(true);
    await sink.send({ ...batch(items), cluster: { name: 'b' } }, context());
    const third = JSON.parse(fx.receiver.requests[2]!.body.toString('utf8')) as Record<string, unknown>[];
    expect(third[0]?.['source']).toBe('b');
    expect(third[0]).not.toHaveProperty('clusteruid');
    await sink.send({ ...batch(items), cluster: { name: 'b', uid: 'uid-b' } }, context());
    const fourth = JSON.parse(fx.receiver.requests[3]!.body.toString('utf8')) as Record<string, unknown>[];
    expect(fourth.map((event) => event['clusteruid'])).toEqual(['uid-b', 'uid-b']);
  });

  it('wraps the payload for vRealize Orchestrator with type vro', async () => {
    const golden = loadGolden('mixed');
    const sink = sinkFor({ type: 'vro', metadata: golden.meta });
    await sink.send(batch(golden.items), context());
    const body = fx.receiver.requests[0]!.body.toString('utf8');
    expect(body.startsWith('{"parameters":[{"value":{"string":{"value":"{\\"data\\":[')).toBe(true);
    expect(body.endsWith('}"}},"type":"string","name":"input"}]}')).toBe(true);
    const parsed = JSON.parse(body) as { parameters: [{ value: { string: { value: string } } }] };
    expect(parsed.parameters[0].value.string.value).toBe(golden.body.toString('utf8'));
    expect(parsed.parameters[0].value.string.value).toBe(encodeWatchProxyPayload(golden.items, buildMeta(golden.meta, '')));
  });

  it('accepts a parsed config with nulls for unset options, ignoring TLS settings on an http: url with a warning', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_: object, msg?: string) => warnings.push(msg ?? ''), child: () => logger };
    const sink = sinkFor({
      usernameVar: null,
      passwordVar: null,
      bearerTokenVar: null,
      bearerTokenFile: null,
      signingSecretVar: null,
      successStatusCodes: null,
      metadata: null,
      tls: { caFile: '/nope', certFile: null, keyFile: null, insecureSkipVerify: false },
      logger,
    });
    expect(await sink.send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
    expect(fx.receiver.requests[0]?.headers.authorization).toBeUndefined();
    expect(warnings.join('\n')).toContain('no effect on the http: url');
  });

  it('refuses sqs with an error that says it is out of scope', () => {
    const error = errorOf(() => createHttpSink({ url: 'https://sqs.us-east-1.amazonaws.com/1/q', type: 'sqs' }));
    expect(error.code).toBe('WP_ERR_CONFIG_INVALID');
    expect(error.message).toMatch(/sqs.*out of scope/);
  });

  it('refuses bad options with the option named', () => {
    expect(errorOf(() => createHttpSink({ url: 'ftp://x' })).message).toContain('url');
    expect(errorOf(() => createHttpSink({ url: 'http://u:p@127.0.0.1/' })).message).not.toContain(':p@');
    expect(errorOf(() => createHttpSink({ url: fx.receiver.url, successStatusCodes: [] })).message).toContain('successStatusCodes');
    expect(errorOf(() => createHttpSink({ url: fx.receiver.url, timeoutMs: 0 })).message).toContain('timeoutMs');
    expect(errorOf(() => createHttpSink({ url: fx.receiver.url, type: 'vro', format: 'cloudevents' })).message).toContain('vro');
  });
});
