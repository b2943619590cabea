import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { WatchProxyError, brandError } from '../errors.js';
import { setLongTimeout } from '../internal/long-timeout.js';

/**
 * A failed request of `KubeJsonClient` (`WP_ERR_KUBE_REQUEST`): `status` is the HTTP status of a non-2xx answer
 * (404 missing, 409 conflict, ...), or 0 when there was no answer (network failure, timeout, no current cluster).
 */
export class KubeRequestError extends WatchProxyError {
  /** HTTP status of the answer; 0 when none came. */
  readonly status: number;

  constructor(status: number, message: string) {
    super('WP_ERR_KUBE_REQUEST', message);
    this.status = status;
  }

  static {
    brandError(this, 'KubeRequestError');
  }
}

/** One small JSON request/response. */
export interface KubeJsonRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Absolute API path, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases/name`. */
  readonly path: string;
  readonly body?: unknown;
  /** Abandons the request after this many ms (rejects with a status-0 `KubeRequestError`). */
  readonly timeoutMs: number;
}

// Objects we read back are Leases and our own ConfigMaps (< 1 MiB); anything bigger is not ours.
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Get/create/update of small objects against the apiserver of a `KubeConfig`'s current context, over
 * `node:http(s)` with credentials from `applyToHTTPSOptions()` on every request (rotating tokens keep working).
 * Used by the lease lock and the cluster store; lists and watches use `KubeTransport` beside it.
 */
export class KubeJsonClient {
  readonly #kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig) {
    this.#kubeConfig = kubeConfig;
  }

  /** Resolves with the parsed body of a 2xx answer; rejects with `KubeRequestError` otherwise. */
  async request<T>(req: KubeJsonRequest): Promise<T> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (cluster === null) throw new KubeRequestError(0, 'the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const options: https.RequestOptions = {
      method: req.method,
      headers: {
        Accept: 'application/json',
        ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }),
      },
    };
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const what = `${req.method} ${url.pathname}`;
    return await new Promise<T>((resolve, reject) => {
      const mod = url.protocol === 'http:' ? http : https;
      const call = mod.request(url, options, (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            res.destroy(new Error(`${what}: answer larger than ${MAX_BODY} bytes`));
            return;
          }
          parts.push(chunk);
        });
        res.on('error', (error) => reject(new KubeRequestError(0, `${what}: ${error.message}`)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(parts).toString('utf8');
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new KubeRequestError(status, `${what}: answer is not JSON`));
            }
            return;
          }
          let message = text.slice(0, 200);
          try {
            message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
          } catch {
            // Not a Status object (a proxy's HTML page): keep the excerpt.
          }
          reject(new KubeRequestError(status, `${what}: ${status} ${message}`));
        });
      });
      // A hung apiserver must not hold a lease renewal past its deadline: a total deadline, not an idle one.
      const timer = setLongTimeout(() => call.destroy(new Error(`timed out after ${req.timeoutMs} ms`)), req.timeoutMs).unref();
      call.on('close', () => timer.clear());
      call.on('error', (error) => reject(new KubeRequestError(0, `${what}: ${error.message}`)));
      call.end(payload);
    });
  }
}
