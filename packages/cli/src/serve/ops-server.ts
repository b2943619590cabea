import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { silentLogger, type Logger } from '@watch-proxy/core';
import type { Registry } from 'prom-client';

import type { ProbeResult } from './probes.js';

/** Where one endpoint listens. */
export interface OpsListener {
  /** TCP port; 0 picks a free one. Listeners with the same port number (0 included) share one server. */
  readonly port: number;
  /** URL path, starting with `/`; matched exactly, the query string ignored. */
  readonly path: string;
}

/** Options of `createOpsServer`. */
export interface OpsServerOptions {
  /** Prometheus text on `path` (`prometheusMetrics`). Default: none. */
  readonly metrics?: OpsListener | null | undefined;
  /** Liveness on `path`, readiness on `readinessPath`, both on this port (`httpLiveness`). Default: none. */
  readonly liveness?: OpsListener | null | undefined;
  /** Readiness path on the liveness port. Default `/ready`. */
  readonly readinessPath?: string | undefined;
  /** What `/metrics` renders. */
  readonly registry: Registry;
  /** Called on every liveness request; must be cheap and synchronous. A throw answers 503. */
  readonly isLive: () => ProbeResult;
  /** Called on every readiness request; must be cheap and synchronous. A throw answers 503. */
  readonly isReady: () => ProbeResult;
  /** Default: silent. Probe failures are logged when their reason changes, not on every request. */
  readonly logger?: Logger | undefined;
  /** Interface to bind. Default: all interfaces (a pod's kubelet and Prometheus come from outside). */
  readonly host?: string | undefined;
}

/** What is served on one bound port. */
export interface OpsAddress {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Paths served there, e.g. `['/metrics', '/live', '/ready']`. */
  readonly paths: readonly string[];
}

/** The running metrics and probe server(s). */
export interface OpsServer {
  /** One entry per distinct port, in the order metrics, liveness. */
  readonly addresses: readonly OpsAddress[];
  /** The bound metrics port; undefined when metrics are off. */
  readonly metricsPort: number | undefined;
  /** The bound liveness (and readiness) port; undefined when probes are off. */
  readonly livenessPort: number | undefined;
  /** Stops listening and closes open (keep-alive) connections. Idempotent. */
  close(): Promise<void>;
}

/** Why `createOpsServer` failed. */
export type OpsServerErrorCode = 'port-in-use' | 'listen-failed' | 'path-conflict';

/** `createOpsServer` could not serve what was asked; the message names the port and the config keys. */
export class OpsServerError extends Error {
  readonly code: OpsServerErrorCode;
  /** The port that failed, when one did. */
  readonly port: number | undefined;

  constructor(code: OpsServerErrorCode, message: string, options: { port?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OpsServerError';
    this.code = code;
    this.port = options.port;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

interface PortPlan {
  readonly port: number;
  /** Config keys served on this port, for error messages. */
  readonly owners: string[];
  readonly routes: Map<string, Handler>;
}

const TEXT = 'text/plain; charset=utf-8';

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': TEXT, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Keeps a probe's reason on one short line: it ends up in kubelet events and logs. */
function oneLine(reason: string): string {
  const flat = reason.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
}

/**
 * Starts the HTTP server(s) for metrics and probes and resolves once all listen. The metrics path answers the
 * registry's Prometheus text; the liveness path 200 `OK\n` or 503 `Service Unavailable: <reason>\n` (the
 * original answered `OK\n` / `Service Unavailable\n`); the readiness path likewise. Only GET and HEAD are
 * served (405 otherwise); other paths answer 404. With nothing configured it listens nowhere.
 *
 * Rejects with `OpsServerError`: `port-in-use` (EADDRINUSE), `listen-failed` (EACCES...), `path-conflict` (two
 * endpoints on one port and path). On a rejection nothing is left listening.
 */
export async function createOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const logger = options.logger ?? silentLogger;
  const plans = new Map<number, PortPlan>();
  const route = (listener: OpsListener, owner: string, path: string, handler: Handler): void => {
    let plan = plans.get(listener.port);
    if (plan === undefined) {
      plan = { port: listener.port, owners: [], routes: new Map() };
      plans.set(listener.port, plan);
    }
    if (!plan.owners.includes(owner)) plan.owners.push(owner);
    if (plan.routes.has(path)) {
      throw new OpsServerError('path-conflict', `${owner} path ${path} is already served on port ${listener.port}; use another path or port`, {
        port: listener.port,
      });
    }
    plan.routes.set(path, handler);
  };

  if (options.metrics) {
    route(options.metrics, 'prometheusMetrics', options.metrics.path, async (_req, res) => {
      try {
        const text = await options.registry.metrics();
        send(res, 200, text, { 'content-type': options.registry.contentType });
      } catch (error) {
        logger.error({ err: error }, 'collecting metrics failed');
        send(res, 500, 'Internal Server Error: collecting metrics failed\n');
      }
    });
  }
  if (options.liveness) {
    route(options.liveness, 'httpLiveness', options.liveness.path, probeHandler('liveness', options.isLive, logger));
    route(options.liveness, 'httpLiveness', options.readinessPath ?? '/ready', probeHandler('readiness', options.isReady, logger));
  }

  const servers: Server[] = [];
  const addresses: OpsAddress[] = [];
  try {
    for (const plan of plans.values()) {
      const server = serverFor(plan, logger);
      servers.push(server);
      const port = await listen(server, plan, options.host);
      addresses.push({ port, paths: [...plan.routes.keys()] });
    }
  } catch (error) {
    await Promise.allSettled(servers.map(closeServer));
    throw error;
  }

  const boundPort = (listener: OpsListener | null | undefined): number | undefined => {
    if (!listener) return undefined;
    return addresses[[...plans.keys()].indexOf(listener.port)]?.port;
  };
  let closing: Promise<void> | undefined;
  return {
    addresses,
    metricsPort: boundPort(options.metrics),
    livenessPort: boundPort(options.liveness),
    close() {
      closing ??= Promise.allSettled(servers.map(closeServer)).then(() => undefined);
      return closing;
    },
  };
}

function probeHandler(kind: 'liveness' | 'readiness', check: () => ProbeResult, logger: Logger): Handler {
  // Probes run every few seconds: log a failure when it starts or its reason changes, and the recovery.
  let lastReason = '';
  return (_req, res) => {
    let result: ProbeResult;
    try {
      result = check();
    } catch (error) {
      result = { ok: false, reason: `the ${kind} check threw: ${error instanceof Error ? error.message : String(error)}` };
    }
    const reason = result.ok ? '' : oneLine(result.reason) || 'unknown';
    if (reason !== lastReason) {
      if (reason === '') logger.info({ probe: kind }, `${kind} probe passes again`);
      else logger.warn({ probe: kind, reason }, `${kind} probe failing`);
      lastReason = reason;
    }
    if (result.ok) send(res, 200, 'OK\n');
    else send(res, 503, `Service Unavailable: ${reason}\n`);
  };
}

function serverFor(plan: PortPlan, logger: Logger): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const handler = plan.routes.get(path);
    if (handler === undefined) return send(res, 404, 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      logger.error({ err: error, path }, 'ops endpoint failed');
      if (!res.headersSent) send(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  });
  // Scrapers and kubelets send tiny requests; do not let a slow or idle client hold a socket for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function listen(server: Server, plan: PortPlan, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const what = `${plan.owners.join(' and ')} (${[...plan.routes.keys()].join(', ')})`;
      if (error.code === 'EADDRINUSE') {
        reject(new OpsServerError('port-in-use', `cannot serve ${what}: port ${plan.port} is already in use (EADDRINUSE); change ${plan.owners.map((o) => `${o}.port`).join(' or ')}`, { port: plan.port, cause: error }));
      } else {
        reject(new OpsServerError('listen-failed', `cannot serve ${what} on port ${plan.port}: ${error.message}`, { port: plan.port, cause: error }));
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(plan.port, host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Scrapers keep connections alive; without this close() would wait for them to time out.
    server.closeAllConnections();
  });
}
