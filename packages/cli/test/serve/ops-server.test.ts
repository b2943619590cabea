import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from '@watch-proxy/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/serve/metrics.js';
import { createOpsServer, OpsServerError, type OpsServer, type OpsServerOptions } from '../../src/serve/ops-server.js';
import type { ProbeResult } from '../../src/serve/probes.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

const HOST = '127.0.0.1';
const opened: OpsServer[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

interface Logged {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}

function recordingLogger(lines: Logged[]): Logger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

async function start(options: Partial<OpsServerOptions> & Pick<OpsServerOptions, 'registry'>): Promise<OpsServer> {
  const server = await createOpsServer({ host: HOST, isLive: () => ({ ok: true, reason: '' }), isReady: () => ({ ok: true, reason: '' }), ...options });
  opened.push(server);
  return server;
}

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly body: string;
}

/** One request with node:http (no keep-alive pool left behind), answering status, content type and body. */
function get(port: number | undefined, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port that was free a moment ago (for the one test that needs two different known ports). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('createOpsServer', () => {
  it('serves Prometheus text with the watch-proxy series on the metrics path', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    metrics.countChange('services', 'add');
    metrics.observe({ resources: [], endpoints: { echo: { queued: 2, inFlight: 0, cached: 1 } } });
    const server = await start({ registry, metrics: { port: 0, path: '/metrics' } });

    const answer = await get(server.metricsPort, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(registry.contentType);
    const families = parsePrometheusText(answer.body);
    expect(sampleValue(families, 'watch_proxy_objects_processed_count')).toBe(1);
    expect(sampleValue(families, 'watch_proxy_payloads_sent_count')).toBe(0);
    expect(sampleValue(families, 'watch_proxy_queue_depth', { endpoint: 'echo' })).toBe(2);
    expect(families.has('process_cpu_seconds_total')).toBe(true);
    // The query string is ignored, as scrapers sometimes add one.
    expect((await get(server.metricsPort, '/metrics?x=1')).status).toBe(200);
  });

  it('answers liveness 200 OK and 503 with the reason as the predicate flips, and logs only the changes', async () => {
    let live: ProbeResult = { ok: true, reason: '' };
    const lines: Logged[] = [];
    const server = await start({
      registry: new Registry(),
      liveness: { port: 0, path: '/live' },
      isLive: () => live,
      logger: recordingLogger(lines),
    });
    expect(await get(server.livenessPort, '/live')).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'OK\n' });

    live = { ok: false, reason: 'no open watch for too long:\npods' };
    const failing = await get(server.livenessPort, '/live');
    expect(failing.status).toBe(503);
    expect(failing.body).toBe('Service Unavailable: no open watch for too long: pods\n');
    await get(server.livenessPort, '/live');

    live = { ok: true, reason: '' };
    expect((await get(server.livenessPort, '/live')).status).toBe(200);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'liveness probe failing'],
      ['info', 'liveness probe passes again'],
    ]);
  });

  it('answers /ready 503 until the initial sync is done, then 200', async () => {
    let synced = false;
    const server = await start({
      registry: new Registry(),
      liveness: { port: 0, path: '/healthz' },
      isReady: () => (synced ? { ok: true, reason: '' } : { ok: false, reason: 'not synced yet: pods' }),
    });
    expect(await get(server.livenessPort, '/ready')).toMatchObject({ status: 503, body: 'Service Unavailable: not synced yet: pods\n' });
    synced = true;
    expect(await get(server.livenessPort, '/ready')).toMatchObject({ status: 200, body: 'OK\n' });
    // The configured liveness path is used, not /live.
    expect((await get(server.livenessPort, '/healthz')).status).toBe(200);
    expect((await get(server.livenessPort, '/live')).status).toBe(404);
  });

  it('answers 503 when a predicate throws, instead of failing the request', async () => {
    const server = await start({
      registry: new Registry(),
      liveness: { port: 0, path: '/live' },
      isLive: () => {
        throw new Error('boom');
      },
    });
    expect(await get(server.livenessPort, '/live')).toMatchObject({ status: 503, body: 'Service Unavailable: the liveness check threw: boom\n' });
  });

  it('serves metrics and probes on one port when both are configured with the same port', async () => {
    const registry = new Registry();
    createMetrics({ registry, defaultMetrics: false });
    const server = await start({ registry, metrics: { port: 0, path: '/metrics' }, liveness: { port: 0, path: '/live' } });
    expect(server.addresses).toHaveLength(1);
    expect(server.addresses[0]?.paths).toEqual(['/metrics', '/live', '/ready']);
    expect(server.metricsPort).toBe(server.livenessPort);
    expect((await get(server.metricsPort, '/metrics')).body).toContain('watch_proxy_payloads_sent_count 0');
    expect((await get(server.livenessPort, '/live')).body).toBe('OK\n');
    expect((await get(server.livenessPort, '/ready')).body).toBe('OK\n');
  });

  it('serves metrics and probes on two ports when they differ, each path only on its own port', async () => {
    const registry = new Registry();
    createMetrics({ registry, defaultMetrics: false });
    const livenessPort = await freePort();
    const server = await start({ registry, metrics: { port: 0, path: '/metrics' }, liveness: { port: livenessPort, path: '/live' } });
    expect(server.addresses).toHaveLength(2);
    expect(server.livenessPort).toBe(livenessPort);
    expect(server.metricsPort).not.toBe(livenessPort);
    expect((await get(server.metricsPort, '/metrics')).status).toBe(200);
    expect((await get(server.metricsPort, '/live')).status).toBe(404);
    expect((await get(server.livenessPort, '/metrics')).status).toBe(404);
    expect((await get(server.livenessPort, '/live')).status).toBe(200);
  });

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    const server = await start({ registry: new Registry(), liveness: { port: 0, path: '/live' } });
    expect(await get(server.livenessPort, '/nope')).toMatchObject({ status: 404, body: 'Not Found\n' });
    expect(await get(server.livenessPort, '/live', 'POST')).toMatchObject({ status: 405 });
    expect(await get(server.livenessPort, '/live', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('rejects a port in use with a clear error, leaving nothing listening', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    const busy = (blocker.address() as AddressInfo).port;
    try {
      const registry = new Registry();
      // Metrics bind first, on a free port; then liveness fails: the metrics server must be closed again.
      const metricsPort = await freePort();
      const attempt = createOpsServer({
        host: HOST,
        registry,
        metrics: { port: metricsPort, path: '/metrics' },
        liveness: { port: busy, path: '/live' },
        isLive: () => ({ ok: true, reason: '' }),
        isReady: () => ({ ok: true, reason: '' }),
      });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OpsServerError);
      expect((error as OpsServerError).code).toBe('port-in-use');
      expect((error as OpsServerError).port).toBe(busy);
      expect((error as OpsServerError).message).toBe(
        `cannot serve httpLiveness (/live, /ready): port ${busy} is already in use (EADDRINUSE); change httpLiveness.port`,
      );
      // The metrics port was released: binding it again works.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(metricsPort, HOST, resolve);
      });
      await new Promise<void>((resolve) => again.close(() => resolve()));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('rejects two endpoints on the same port and path', async () => {
    await expect(
      createOpsServer({
        host: HOST,
        registry: new Registry(),
        metrics: { port: 0, path: '/ready' },
        liveness: { port: 0, path: '/live' },
        isLive: () => ({ ok: true, reason: '' }),
        isReady: () => ({ ok: true, reason: '' }),
      }),
    ).rejects.toMatchObject({ code: 'path-conflict', message: 'httpLiveness path /ready is already served on port 0; use another path or port' });
  });

  it('listens nowhere when nothing is configured, and close() is idempotent with connections open', async () => {
    const none = await start({ registry: new Registry() });
    expect(none.addresses).toEqual([]);
    expect(none.metricsPort).toBeUndefined();

    const server = await start({ registry: new Registry(), liveness: { port: 0, path: '/live' } });
    const port = server.livenessPort;
    expect((await get(port, '/live')).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await expect(get(port, '/live')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
