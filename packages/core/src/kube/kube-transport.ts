import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseRetryAfter } from '../internal/retry-after.js';
import { WatchError, errorFromStatus, toWatchError } from './kube-api-error.js';
import type { KubeStatus } from './kube-api-error.js';

/** Query parameters of a request; `undefined` values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

// Error bodies are Status objects of a few hundred bytes; anything bigger is not worth holding.
const MAX_ERROR_BODY = 64 * 1024;
// Same as client-go and client-node: notice a dead peer on an otherwise silent connection.
const TCP_KEEPALIVE_MS = 30_000;

/**
 * GET requests against the apiserver of a `KubeConfig`'s current context, on `node:http(s)` (HTTP/1.1, one
 * connection per request, so aborting a watch closes exactly its socket, unless a `ConnectionPool` is given for
 * requests made back to back). Credentials come from
 * `kubeConfig.applyToHTTPSOptions()` on every request, which re-reads rotating token files and re-runs exec and
 * OIDC plugins when their tokens expire; the agent it returns is client-node's cached one (proxy support included).
 */
export class KubeTransport {
  readonly #kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig) {
    this.#kubeConfig = kubeConfig;
  }

  /** The apiserver URL, without credentials. */
  get server(): string {
    return this.#kubeConfig.getCurrentCluster()?.server ?? '';
  }

  /**
   * Sends a GET and resolves with the response once its headers arrived with a 2xx status; the caller reads and
   * then consumes or destroys the body. Rejects with a `WatchError`: the classified `Status` for other statuses,
   * `network` for transport failures, or `signal.reason` when `signal` aborted with a `WatchError`.
   */
  async open(path: string, query: Query, signal: AbortSignal, pool?: ConnectionPool): Promise<IncomingMessage> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (cluster === null) throw new WatchError('invalid', 'the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const options: https.RequestOptions = { headers: { Accept: 'application/json' } };
    try {
      await this.#kubeConfig.applyToHTTPSOptions(options);
    } catch (err) {
      // An exec plugin or token file that fails is a credentials problem; retried like a 401.
      throw new WatchError('unauthorized', `could not obtain credentials: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    if (pool !== undefined) options.agent = pool.agentFor(options.agent);
    signal.throwIfAborted();
    const what = `GET ${url.pathname}`;
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const fail = (err: unknown): void => {
        reject(signal.aborted && signal.reason instanceof WatchError ? signal.reason : toWatchError(err, what));
      };
      const mod = url.protocol === 'http:' ? http : https;
      const req = mod.request(url, { ...options, method: 'GET', signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readErrorBody(res).then(
          (body) => reject(errorFromStatus(status, parseStatus(body), what, parseRetryAfter(res.headers['retry-after'], Date.now()))),
          fail,
        );
      });
      req.on('socket', (socket) => socket.setKeepAlive(true, TCP_KEEPALIVE_MS));
      req.on('error', fail);
      req.end();
    });
  }
}

/**
 * Keep-alive connections shared by a series of requests made back to back (the pages of one list), so each page
 * does not pay a new TCP connection and TLS handshake (~3-4 ms a page on loopback, about a fifth of the raw
 * download of a 500-item ConfigMap page). Only client-node's plain `http.Agent`/`https.Agent` is replaced (by a
 * keep-alive one of the same class; the TLS options and credentials travel with each request); proxy agents are
 * kept as they are. `close()` destroys every connection, so nothing stays open once the series ended.
 */
export class ConnectionPool {
  readonly #agents = new Map<unknown, http.Agent>();

  /** The agent to use instead of `agent` (the one client-node chose). */
  agentFor(agent: https.RequestOptions['agent']): https.RequestOptions['agent'] {
    const kind = agent?.constructor;
    if (kind !== https.Agent && kind !== http.Agent) return agent;
    let pooled = this.#agents.get(kind);
    if (pooled === undefined) {
      pooled = kind === https.Agent ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
      this.#agents.set(kind, pooled);
    }
    return pooled;
  }

  /** Closes every connection of the pool, idle or not. Idempotent. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

async function readErrorBody(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= MAX_ERROR_BODY) {
      res.destroy();
      break;
    }
  }
  return Buffer.concat(parts).toString('utf8').slice(0, MAX_ERROR_BODY);
}

function parseStatus(body: string): KubeStatus {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) return parsed as KubeStatus;
  } catch {
    // Not JSON (an HTML page from a proxy, say): keep a short excerpt as the message.
  }
  const text = body.trim().slice(0, 200);
  return text === '' ? {} : { message: text };
}
