/**
 * A small apiserver client for the generators and writers: one keep-alive HTTPS agent with many sockets, so
 * thousands of creates and patches go out concurrently instead of one kubectl (one process, one TLS handshake)
 * per object. The test cluster's own `request()` opens a connection per call, which caps writes at a few
 * hundred per second on two cores.
 */
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { clock } from './stats.ts';

export interface ApiResult {
  readonly status: number;
  readonly body: string;
  /** `clock()` when the response ended: the write's acknowledgement. */
  readonly ackAt: number;
}

export class Api {
  readonly server: string;
  readonly #agent: Agent;
  readonly #token: string;

  constructor(server: string, caFile: string, token: string, maxSockets = 64) {
    this.server = server;
    this.#token = token;
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca: readFileSync(caFile) });
  }

  /** Sends one request; rejects only on transport errors (the status is the caller's to judge). */
  send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResult> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            Accept: 'application/json',
            ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ackAt: clock() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * GETs a path and returns the raw body bytes, never decoded or parsed: what `curl` or `kubectl get --raw`
   * costs, the floor of a list download.
   */
  getRaw(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        { agent: this.#agent, headers: { Authorization: `Bearer ${this.#token}`, Accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            if (res.statusCode === 200) resolve(body);
            else reject(new Error(`GET ${path}: ${res.statusCode} ${body.toString('utf8', 0, 300)}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Like `send`, but throws on a status outside 2xx (409 allowed when `allowConflict`). */
  async must(method: string, path: string, body?: unknown, contentType?: string, allowConflict = false): Promise<ApiResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.send(method, path, body, contentType);
      if (result.status >= 200 && result.status < 300) return result;
      if (allowConflict && result.status === 409) return result;
      // 429/5xx from an apiserver busy with other test suites: back off briefly instead of failing the run.
      if ((result.status === 429 || result.status >= 500) && attempt < 8) {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        continue;
      }
      throw new Error(`${method} ${path}: ${result.status} ${result.body.slice(0, 300)}`);
    }
  }

  /** Creates the namespace unless it exists. */
  async ensureNamespace(name: string): Promise<void> {
    await this.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, undefined, true);
  }

  /** Counts the objects at a list path (one `limit=1` request: remainingItemCount + 1). */
  async count(listPath: string): Promise<number> {
    const result = await this.must('GET', `${listPath}?limit=1`);
    const list = JSON.parse(result.body) as { items: unknown[]; metadata: { remainingItemCount?: number } };
    return list.items.length + (list.metadata.remainingItemCount ?? 0);
  }

  /**
   * Creates objects `from..to-1` at `listPath` with `concurrency` requests in flight; already existing ones
   * (409) are skipped, so an interrupted population resumes. Returns objects/s.
   */
  async createMany(listPath: string, from: number, to: number, make: (i: number) => unknown, concurrency = 48): Promise<number> {
    const started = clock();
    let next = from;
    const worker = async (): Promise<void> => {
      while (next < to) {
        const i = next++;
        await this.must('POST', `${listPath}?fieldManager=bench-generator`, make(i), undefined, true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, to - from)) }, worker));
    return (to - from) / ((clock() - started) / 1000);
  }

  close(): void {
    this.#agent.destroy();
  }
}
