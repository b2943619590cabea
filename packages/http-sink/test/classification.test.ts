import { describe, expect, it } from 'vitest';
import { WatchProxyError, silentLogger } from '@watch-proxy/core';
import type { SendOutcome } from '@watch-proxy/core';
import { createHttpSink } from '../src/index.js';
import { ok, startReceiver } from './helpers/receiver.js';
import type { Handler } from './helpers/receiver.js';
import { useSinkFixture } from './helpers/sink-fixture.js';
import { batch, change, context, sendWithRetries } from './helpers/sink-harness.js';

const fx = useSinkFixture();
const sinkFor = fx.sinkFor;

function status(code: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_request, res) => {
    res.writeHead(code, headers).end(body);
  };
}

function errorOf(outcome: SendOutcome): WatchProxyError {
  expect(outcome.status === 'retryable' || outcome.status === 'rejected').toBe(true);
  const error = (outcome as { error: Error }).error;
  expect(error).toBeInstanceOf(WatchProxyError);
  return error as WatchProxyError;
}

describe('status classification', () => {
  it('retries a 503 with Retry-After: 2 and delivers once, about 2 s later, with the same idempotency key', async () => {
    let calls = 0;
    fx.receiver.handle((request, res) => {
      calls++;
      if (calls === 1) res.writeHead(503, { 'Retry-After': '2' }).end('busy');
      else ok(request, res, undefined as never);
    });
    const sink = sinkFor();
    const { outcome, attempts } = await sendWithRetries(sink, batch([change(1)], 'b-503'));
    expect(outcome).toEqual({ status: 'delivered' });
    expect(attempts[0]).toMatchObject({ status: 'retryable', retryAfterMs: 2000 });
    expect(fx.receiver.requests).toHaveLength(2);
    const gap = fx.receiver.requests[1]!.at - fx.receiver.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(1990);
    expect(gap).toBeLessThan(3500);
    expect(fx.receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual(['b-503', 'b-503']);
    expect(fx.receiver.requests[1]!.body.equals(fx.receiver.requests[0]!.body)).toBe(true);
  });

  it.each([408, 429, 500, 502, 504])('treats %i as retryable', async (code) => {
    fx.receiver.handle(status(code, 'try later'));
    const outcome = await sinkFor().send(batch([change(1)]), context());
    expect(outcome.status).toBe('retryable');
    expect(errorOf(outcome).message).toContain(String(code));
  });

  it('reads Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    fx.receiver.handle(status(429, '', { 'Retry-After': at }));
    const outcome = await sinkFor().send(batch([change(1)]), context());
    expect(outcome.status).toBe('retryable');
    const afterMs = (outcome as { retryAfterMs?: number }).retryAfterMs ?? -1;
    expect(afterMs).toBeGreaterThan(25_000);
    expect(afterMs).toBeLessThanOrEqual(30_000);
  });

  it('rejects a 400 with its status and body, and a retry loop does not resend it', async () => {
    fx.receiver.handle(status(400, 'field spec.x is invalid'));
    const { outcome, attempts } = await sendWithRetries(sinkFor(), batch([change(1)]));
    expect(outcome.status).toBe('rejected');
    expect(attempts).toHaveLength(1);
    expect(fx.receiver.requests).toHaveLength(1);
    const error = errorOf(outcome);
    expect(error.code).toBe('WP_ERR_SINK_REJECTED');
    expect(error.message).toContain('400');
    expect(error.message).toContain('field spec.x is invalid');
  });

  it.each([201, 202, 204])('counts %i as delivered by default, and rejects it with successStatusCodes [200]', async (code) => {
    fx.receiver.handle(status(code));
    expect(await sinkFor().send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
    const strict = await sinkFor({ successStatusCodes: [200] }).send(batch([change(1)]), context());
    expect(strict.status).toBe('rejected');
    expect(errorOf(strict).message).toContain('successStatusCodes');
    fx.receiver.handle(status(200));
    expect(await sinkFor({ successStatusCodes: [200] }).send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
  });

  it('does not follow redirects', async () => {
    fx.receiver.handle(status(302, '', { Location: '/elsewhere' }));
    const outcome = await sinkFor().send(batch([change(1)]), context());
    expect(outcome.status).toBe('rejected');
    expect(errorOf(outcome).message).toContain('redirects are not followed');
    expect(fx.receiver.requests).toHaveLength(1);
  });

  it('keeps only the first 200 characters of a large error body and caps what it reads of any body', async () => {
    fx.receiver.handle(status(400, 'e'.repeat(5 * 1024 * 1024)));
    const rejectedOutcome = await sinkFor().send(batch([change(1)]), context());
    const message = errorOf(rejectedOutcome).message;
    expect(message).toContain('e'.repeat(200));
    expect(message).not.toContain('e'.repeat(201));
    fx.receiver.handle(status(200, 'x'.repeat(5 * 1024 * 1024)));
    expect(await sinkFor().send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
  });
});

describe('network failures', () => {
  it('aborts at timeoutMs when the server never answers, and the retry is delivered', async () => {
    let calls = 0;
    fx.receiver.handle((request, res) => {
      calls++;
      if (calls > 1) ok(request, res, undefined as never);
      // First request: accept and never answer.
    });
    const sink = sinkFor({ timeoutMs: 300 });
    const started = performance.now();
    const first = await sink.send(batch([change(1)]), context());
    const elapsed = performance.now() - started;
    expect(first.status).toBe('retryable');
    expect(errorOf(first).code).toBe('WP_ERR_SINK_TIMEOUT');
    expect(errorOf(first).message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(await sink.send(batch([change(1)]), context(2))).toEqual({ status: 'delivered' });
  });

  it.each([25, 60])('a timeout of %i days waits for a slow answer (past 24.8 days a Node timer fires at once)', async (days) => {
    // The receiver answers 50 ms late: long enough for a timer that overflowed to 1 ms to have aborted.
    fx.receiver.handle((request, res) => void setTimeout(() => ok(request, res, undefined as never), 50));
    const sink = sinkFor({ timeoutMs: days * 24 * 3600 * 1000 });
    expect(await sink.send(batch([change(1)]), context())).toEqual({ status: 'delivered' });
  });

  it('treats a reset connection as retryable', async () => {
    fx.receiver.handle((_request, _res, req) => {
      req.socket.destroy();
    });
    const outcome = await sinkFor().send(batch([change(1)]), context());
    expect(outcome.status).toBe('retryable');
    expect(errorOf(outcome).code).toBe('WP_ERR_SINK_SEND');
    expect(errorOf(outcome).message).toMatch(/ECONNRESET|socket hang up|failed/);
  });

  it('treats a refused connection as retryable', async () => {
    const url = fx.receiver.url;
    await fx.receiver.close();
    fx.receiver = await startReceiver();
    const outcome = await createHttpSink({ url, env: {} }).send(batch([change(1)]), context());
    expect(outcome.status).toBe('retryable');
    expect(errorOf(outcome).message).toContain('ECONNREFUSED');
  });

  it('starts with only a warning when the endpoint is unreachable, and checks nothing with startupCheck none', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: object, msg?: string) => warnings.push(msg ?? '') };
    const lifecycle = { signal: new AbortController().signal, logger };
    await expect(sinkFor().start?.(lifecycle)).resolves.toBeUndefined();
    expect(warnings).toEqual([]);
    const url = fx.receiver.url;
    await fx.receiver.close();
    fx.receiver = await startReceiver();
    await expect(createHttpSink({ url, env: {} }).start?.(lifecycle)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ECONNREFUSED');
    await expect(createHttpSink({ url, env: {}, startupCheck: 'none' }).start?.(lifecycle)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(fx.receiver.requests).toHaveLength(0);
  });

  it('stops at once when core aborts the attempt', async () => {
    fx.receiver.handle(() => {});
    const controller = new AbortController();
    const sink = sinkFor({ timeoutMs: 60_000 });
    const pending = sink.send(batch([change(1)]), context(1, controller.signal));
    // Abort only once the request reached the server, so the abort has a live request to cancel.
    const deadline = Date.now() + 5000;
    while (fx.receiver.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    controller.abort();
    const outcome = await pending;
    expect(outcome.status).toBe('retryable');
    expect(errorOf(outcome).code).toBe('WP_ERR_SINK_SEND');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('never puts credentials in error messages', async () => {
    fx.receiver.handle(status(401, 'denied'));
    const sink = sinkFor({ usernameVar: 'U', passwordVar: 'P', env: { U: 'alice', P: 'hunter2' } });
    const outcome = await sink.send(batch([change(1)]), context());
    const error = errorOf(outcome);
    expect(error.message).not.toMatch(/alice|hunter2|YWxpY2U/);
    expect(fx.receiver.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:hunter2').toString('base64')}`);
  });
});
