import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchProxyError, silentLogger } from '@watch-proxy/core';
import type { Logger } from '@watch-proxy/core';
import { createHttpSink } from '../src/index.js';
import type { HttpSinkOptions } from '../src/index.js';
import { createTestPki } from './helpers/certs.js';
import type { TestPki } from './helpers/certs.js';
import { startReceiver } from './helpers/receiver.js';
import type { Receiver } from './helpers/receiver.js';
import { batch, change, context } from './helpers/sink-harness.js';

let pki: TestPki;
let server: Receiver;
let mtlsServer: Receiver;

beforeAll(async () => {
  pki = createTestPki();
  server = await startReceiver(undefined, { cert: pki.serverCert, key: pki.serverKey });
  mtlsServer = await startReceiver(undefined, {
    cert: pki.serverCert,
    key: pki.serverKey,
    ca: pki.ca,
    requestCert: true,
    rejectUnauthorized: true,
  });
});

afterAll(async () => {
  await server.close();
  await mtlsServer.close();
  pki.remove();
});

async function sendOnce(options: HttpSinkOptions) {
  const sink = createHttpSink({ env: {}, ...options });
  try {
    return await sink.send(batch([change(1)]), context());
  } finally {
    await sink.close?.(context() as never);
  }
}

describe('TLS', () => {
  it('trusts a self-signed CA given by caFile', async () => {
    expect(await sendOnce({ url: server.url, tls: { caFile: pki.caFile } })).toEqual({ status: 'delivered' });
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('fails with a clear, retryable TLS error against the wrong CA', async () => {
    const outcome = await sendOnce({ url: server.url, tls: { caFile: pki.otherCaFile } });
    expect(outcome.status).toBe('retryable');
    const error = (outcome as { error: Error }).error as WatchProxyError;
    expect(error).toBeInstanceOf(WatchProxyError);
    expect(error.message).toContain('TLS verification');
    expect(error.message).toContain('tls.caFile');
  });

  it('fails the same way with no caFile (system roots do not know the test CA)', async () => {
    const outcome = await sendOnce({ url: server.url });
    expect((outcome as { error: Error }).error.message).toContain('TLS verification');
  });

  it('presents a client certificate to a server that requires one (mTLS)', async () => {
    const before = mtlsServer.requests.length;
    const outcome = await sendOnce({
      url: mtlsServer.url,
      tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile },
    });
    expect(outcome).toEqual({ status: 'delivered' });
    expect(mtlsServer.requests.length).toBe(before + 1);
  });

  it('is refused by the mTLS server without a client certificate', async () => {
    const before = mtlsServer.requests.length;
    const outcome = await sendOnce({ url: mtlsServer.url, tls: { caFile: pki.caFile } });
    expect(outcome.status).toBe('retryable');
    expect(mtlsServer.requests.length).toBe(before);
  });

  it('accepts any certificate with insecureSkipVerify, warning loudly', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (_obj, msg) => warnings.push(msg ?? ''),
      child: () => logger,
    };
    const sink = createHttpSink({ url: server.url, tls: { insecureSkipVerify: true }, logger });
    await sink.start?.({ signal: new AbortController().signal, logger });
    expect(await sink.send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
    await sink.close?.(context() as never);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('NOT verified');
  });

  it('fails start() on the wrong CA, and passes it with the right one', async () => {
    const lifecycle = { signal: new AbortController().signal, logger: silentLogger };
    const wrong = createHttpSink({ url: server.url, tls: { caFile: pki.otherCaFile } });
    await expect(wrong.start?.(lifecycle)).rejects.toMatchObject({ code: 'WP_ERR_SINK_START', message: expect.stringContaining('tls.caFile') as unknown });
    await wrong.close?.(lifecycle);
    const right = createHttpSink({ url: server.url, tls: { caFile: pki.caFile } });
    await expect(right.start?.(lifecycle)).resolves.toBeUndefined();
    await right.close?.(lifecycle);
  });

  it('fails at creation on a missing CA file or a certificate without its key', () => {
    expect(() => createHttpSink({ url: server.url, tls: { caFile: `${pki.dir}/missing.crt` } })).toThrow(/tls\.caFile: cannot read/);
    expect(() => createHttpSink({ url: server.url, tls: { certFile: pki.clientCertFile } })).toThrow(/together/);
  });
});
