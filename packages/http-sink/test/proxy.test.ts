import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger, SendOutcome } from '@watch-proxy/core';
import { createHttpSink } from '../src/index.js';
import type { HttpSink, HttpSinkOptions } from '../src/index.js';
import { proxyFor } from '../src/proxy-env.js';
import { createTestPki } from './helpers/certs.js';
import type { TestPki } from './helpers/certs.js';
import { startForwardProxy } from './helpers/forward-proxy.js';
import type { ForwardProxy } from './helpers/forward-proxy.js';
import { startReceiver } from './helpers/receiver.js';
import type { Receiver } from './helpers/receiver.js';
import { batch, change, context } from './helpers/sink-harness.js';

// A name nothing resolves but the test proxy: an endpoint there is reachable only through the proxy.
const HIDDEN = 'inventory.internal.test';
const USER = 'egress';
const PASSWORD = 'pr0xy-p@ss';
const CREDENTIALS = `${USER}:${PASSWORD}`;
const PROXY_AUTH = `Basic ${Buffer.from(CREDENTIALS).toString('base64')}`;

function capture(lines: string[]): Logger {
  const log = (level: string) => (fields: object, msg?: string) => lines.push(`${level} ${JSON.stringify(fields)} ${msg ?? ''}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

function textOf(outcome: SendOutcome): string {
  return outcome.status === 'delivered' ? '' : JSON.stringify({ message: (outcome as { error?: Error }).error?.message, cause: String((outcome as { error?: Error }).error?.cause) });
}

let pki: TestPki;
let receiver: Receiver | undefined;
let proxy: ForwardProxy | undefined;
const sinks: HttpSink[] = [];

beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => {
  pki.remove();
});
afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close?.(context() as never);
  await receiver?.close();
  await proxy?.close();
  receiver = undefined;
  proxy = undefined;
});

function sink(options: HttpSinkOptions): HttpSink {
  const created = createHttpSink(options);
  sinks.push(created);
  return created;
}

/** The proxy URL with the credentials, percent-encoded as a URL needs them. */
function proxyUrl(p: ForwardProxy): string {
  return p.origin.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
}

describe('HTTP_PROXY / HTTPS_PROXY / NO_PROXY', () => {
  it('posts to an http endpoint through the proxy (absolute URI, Proxy-Authorization), credentials never logged', async () => {
    receiver = await startReceiver();
    proxy = await startForwardProxy(CREDENTIALS);
    const port = new URL(receiver.url).port;
    const lines: string[] = [];
    const logger = capture(lines);
    const s = sink({ url: `http://${HIDDEN}:${port}/watch-proxy`, env: { HTTP_PROXY: proxyUrl(proxy) }, logger });
    await s.start?.({ signal: new AbortController().signal, logger });
    const outcome = await s.send(batch([change(1)], 'b-1'), context());
    expect(outcome).toEqual({ status: 'delivered' });
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', target: `http://${HIDDEN}:${port}/watch-proxy`, proxyAuthorization: PROXY_AUTH },
    ]);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['idempotency-key']).toBe('b-1');
    // The receiver never sees the proxy's credentials.
    expect(receiver.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(lines.join('\n')).toContain('through a proxy');
    expect(lines.join('\n')).not.toMatch(new RegExp(`${USER}|pr0xy|${encodeURIComponent(PASSWORD)}|${Buffer.from(CREDENTIALS).toString('base64')}`));
  });

  it('tunnels an https endpoint with CONNECT (lower-case https_proxy), TLS end to end with the endpoint', async () => {
    receiver = await startReceiver(undefined, { cert: pki.serverCert, key: pki.serverKey });
    proxy = await startForwardProxy(CREDENTIALS);
    const port = new URL(receiver.url).port;
    const s = sink({ url: `https://${HIDDEN}:${port}/watch-proxy`, env: { https_proxy: proxyUrl(proxy) }, tls: { caFile: pki.caFile } });
    expect(await s.send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: `${HIDDEN}:${port}`, proxyAuthorization: PROXY_AUTH }]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('answers a proxy refusing the credentials as an error that names neither them nor the proxy URL', async () => {
    receiver = await startReceiver();
    proxy = await startForwardProxy('someone:else');
    const port = new URL(receiver.url).port;
    const lines: string[] = [];
    const logger = capture(lines);
    const s = sink({ url: `http://${HIDDEN}:${port}/watch-proxy`, env: { HTTP_PROXY: proxyUrl(proxy) }, logger });
    await s.start?.({ signal: new AbortController().signal, logger });
    const outcome = await s.send(batch([change(1)]), context());
    expect(outcome.status).not.toBe('delivered');
    expect(textOf(outcome)).toContain('407');
    expect(receiver.requests).toHaveLength(0);
    expect(`${textOf(outcome)}\n${lines.join('\n')}`).not.toMatch(new RegExp(`${USER}|pr0xy|${encodeURIComponent(PASSWORD)}`));
  });

  it('connects directly to a host NO_PROXY lists, and through the proxy otherwise', async () => {
    receiver = await startReceiver();
    proxy = await startForwardProxy();
    // 0.0.0.0 reaches this host's listeners directly, and is no loopback name: only NO_PROXY exempts it.
    const url = receiver.url.replace('127.0.0.1', '0.0.0.0');
    expect(await sink({ url, env: { HTTP_PROXY: proxy.origin } }).send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
    expect(proxy.requests).toHaveLength(1);
    expect(await sink({ url, env: { HTTP_PROXY: proxy.origin, NO_PROXY: 'example.com, 0.0.0.0' } }).send(batch([change(2)]), context())).toEqual({ status: 'delivered' });
    expect(await sink({ url, env: { HTTP_PROXY: proxy.origin, no_proxy: '*' } }).send(batch([change(3)]), context())).toEqual({ status: 'delivered' });
    expect(proxy.requests).toHaveLength(1);
    expect(receiver.requests).toHaveLength(3);
  });

  it('checks the connection to the proxy at start, not to the endpoint it cannot resolve', async () => {
    proxy = await startForwardProxy();
    const lines: string[] = [];
    const logger = capture(lines);
    const s = sink({ url: `http://${HIDDEN}:1/watch-proxy`, env: { HTTP_PROXY: proxy.origin } });
    await s.start?.({ signal: new AbortController().signal, logger });
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    await proxy.close();
    proxy = undefined;
    await s.start?.({ signal: new AbortController().signal, logger });
    expect(lines.filter((l) => l.startsWith('warn')).join('\n')).toMatch(/proxy http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/);
  });

  it('refuses a proxy it cannot use with an error naming the variable, never its value', () => {
    expect(() => createHttpSink({ url: 'https://x.example/', env: { HTTPS_PROXY: 'socks5://u:secret@10.0.0.1:1080' } })).toThrow(/HTTPS_PROXY: proxy scheme socks5: is not supported/);
    expect(() => createHttpSink({ url: 'https://x.example/', env: { HTTPS_PROXY: 'http://u:secret@[bad' } })).toThrow(/^(?!.*secret).*HTTPS_PROXY: not a valid proxy URL/);
  });
});

describe('proxyFor, as Go reads the proxy environment', () => {
  const p = 'http://proxy:3128';
  const chosen = (url: string, env: Record<string, string>): string | undefined => proxyFor(new URL(url), env)?.href;

  it('uses HTTPS_PROXY for https and HTTP_PROXY for http, upper case first, http:// when no scheme is given', () => {
    expect(chosen('https://a.example/', { HTTPS_PROXY: p, HTTP_PROXY: 'http://other:1' })).toBe('http://proxy:3128/');
    expect(chosen('http://a.example/', { HTTPS_PROXY: p })).toBeUndefined();
    expect(chosen('http://a.example/', { HTTP_PROXY: 'upper:1', http_proxy: 'lower:1' })).toBe('http://upper:1/');
    expect(chosen('http://a.example/', { http_proxy: 'lower:1' })).toBe('http://lower:1/');
    expect(chosen('https://a.example/', { HTTPS_PROXY: 'https://secure-proxy:443' })).toBe('https://secure-proxy/');
  });

  it('never proxies localhost or loopback addresses', () => {
    for (const url of ['http://localhost:8080/', 'http://127.0.0.1/', 'http://127.1.2.3/', 'http://[::1]:80/']) expect(chosen(url, { HTTP_PROXY: p })).toBeUndefined();
  });

  it.each([
    ['http://a.example/', 'a.example', true],
    ['http://b.a.example/', 'a.example', true],
    ['http://a.example/', '.a.example', false],
    ['http://b.a.example/', '.a.example', true],
    ['http://b.a.example/', '*.a.example', true],
    ['http://xa.example/', 'a.example', false],
    ['http://A.Example/', 'a.EXAMPLE', true],
    ['http://a.example:8080/', 'a.example:8080', true],
    ['http://a.example:8081/', 'a.example:8080', false],
    ['http://a.example/', 'a.example:80', true],
    ['http://10.1.2.3/', '10.0.0.0/8', true],
    ['http://11.1.2.3/', '10.0.0.0/8', false],
    ['http://10.1.2.3/', '10.1.2.3', true],
    ['http://[2001:db8::1]/', '2001:db8::/32', true],
    ['http://[2001:db8::1]/', '[2001:db8::1]', true],
    ['http://a.example/', ' other.example , a.example ', true],
    ['http://a.example/', '*', true],
  ])('%s with NO_PROXY=%s: direct %s', (url, noProxy, direct) => {
    expect(chosen(url, { HTTP_PROXY: p, NO_PROXY: noProxy }) === undefined).toBe(direct);
    expect(chosen(url, { HTTP_PROXY: p, no_proxy: noProxy }) === undefined).toBe(direct);
  });
});
