/** Helpers of the daemon's end-to-end tests: loopback receivers, a running bin with its logs, polling with deadlines. */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { waitFor } from '@watch-proxy/test-support';
import { afterAll, beforeAll } from 'vitest';

import { spawnBin } from './run-bin.js';

/** One entry of a received payload, with the request it came in. */
export interface ReceivedItem {
  readonly asset_type_id: string;
  readonly uniqueId: string;
  readonly event: string;
  readonly data: { metadata: { name: string; namespace?: string; uid: string; uniqueId: string; labels?: Record<string, string> } } & Record<string, unknown>;
  readonly meta: unknown;
  readonly authorization: string | undefined;
}

/** A request as received. */
export interface ReceivedRequest {
  /** The status answered; undefined when it was never answered. */
  readonly status: number | undefined;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An HTTP receiver on 127.0.0.1, port 0, recording every request and answering `status` (200; settable, e.g. 503
 * for a receiver that is down); with `respond: false` it never answers (the request stays in flight).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** What the next requests are answered. */
  status = 200;
  readonly #server: Server;
  #port = 0;

  constructor(options: { respond?: boolean } = {}) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = options.respond === false ? undefined : this.status;
        this.requests.push({ status, path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (status !== undefined) res.writeHead(status).end(status === 200 ? 'ok' : 'down');
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** The URL to configure as an endpoint. */
  url(path = '/watch-proxy'): string {
    return `http://127.0.0.1:${String(this.#port)}${path}`;
  }

  /** Every payload entry delivered so far (answered 200), in order. */
  items(): ReceivedItem[] {
    return this.requests.filter((r) => r.status === 200).flatMap((r) => {
      const doc = JSON.parse(r.body) as { data: Omit<ReceivedItem, 'meta' | 'authorization'>[]; meta: unknown };
      return doc.data.map((item) => ({ ...item, meta: doc.meta, authorization: r.headers.authorization }));
    });
  }

  /** Entries about the object named `name`. */
  about(name: string): ReceivedItem[] {
    return this.items().filter((item) => item.data.metadata.name === name);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A pino JSON log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** The daemon running as a subprocess, its stderr parsed as JSON log lines. */
export class DaemonRun {
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcessWithoutNullStreams;

  constructor(args: readonly string[], env: Record<string, string | undefined> = {}) {
    this.#child = spawnBin(args, env);
    let pending = '';
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (a startup error printed for people): kept in `stderr`.
        }
      }
    });
    this.#child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.exited = new Promise((resolve) => this.#child.on('close', (code) => resolve(code)));
  }

  /** Log lines whose `msg` is `msg`. */
  logged(msg: string): LogLine[] {
    return this.logs.filter((line) => line.msg === msg);
  }

  /** Waits until `count` lines with this `msg` were logged. */
  async waitForLog(msg: string, count = 1, timeoutMs = 60_000): Promise<LogLine> {
    await waitFor(() => this.logged(msg).length >= count, `log "${msg}" x${String(count)}\n--- stderr ---\n${this.stderr.slice(-4000)}`, timeoutMs);
    return this.logged(msg)[count - 1]!;
  }

  /** Closes the reading end of its stdout, as `| head` does once it has enough. */
  closeStdout(): void {
    this.#child.stdout.destroy();
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Stops it (SIGKILL) if still running; for cleanup only. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Parses Prometheus text exposition into `name{labels}` -> value; throws on a line that is not valid. Values
 * as Prometheus reads them (Go's ParseFloat): `NaN` and `Inf` in any case (prom-client prints `Nan`).
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[nN][aA][nN]|[+-]?[iI][nN][fF])(?: \d+)?$/.exec(line);
    if (match === null) throw new Error(`not Prometheus text: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** What one end-to-end file shares: its own apiserver, a scratch folder, and the receivers and daemons it started. */
export interface E2eFile {
  /** The file's cluster (started in `beforeAll`). */
  readonly cluster: TestCluster;
  /** A scratch folder for configs and state, removed in `afterAll`. */
  readonly dir: string;
  /** A listening loopback receiver, closed in `afterAll`. */
  readonly receiver: (options?: { respond?: boolean }) => Promise<Receiver>;
  /** The bin started with `args` (and extra `env`), killed in `afterAll`. */
  readonly daemon: (args: readonly string[], env?: Record<string, string>) => DaemonRun;
}

/**
 * Registers the `beforeAll`/`afterAll` pair every daemon e2e file needs (a cluster of its own; every receiver
 * and daemon it started torn down, its folder removed). `prefix` names the scratch folder.
 */
export function useE2eFile(prefix: string): E2eFile {
  let cluster: TestCluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const receivers: Receiver[] = [];
  const daemons: DaemonRun[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    await Promise.all(receivers.map((r) => r.close()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get cluster(): TestCluster {
      if (cluster === undefined) throw new Error('the cluster starts in beforeAll');
      return cluster;
    },
    dir,
    receiver: async (options = {}) => {
      const r = await new Receiver(options).listen();
      receivers.push(r);
      return r;
    },
    daemon: (args, env = {}) => {
      const d = new DaemonRun(args, env);
      daemons.push(d);
      return d;
    },
  };
}
