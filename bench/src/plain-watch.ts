/**
 * The plain watch client: one HTTPS watch request, split into lines, nothing else. It is the floor of the
 * latency scenario (a worker thread that stamps every event's arrival, `name@resourceVersion` -> time), the
 * floor of the idle scenario (a process of its own holding an idle watch) and the recorder of watch lines for
 * the throughput scenario.
 */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { clock } from './stats.ts';

export interface WatchTarget {
  readonly server: string;
  readonly caFile: string;
  readonly token: string;
  /** List path, e.g. `/api/v1/namespaces/x/configmaps`. */
  readonly path: string;
  readonly resourceVersion: string;
}

export interface OpenWatch {
  /** Resolves once the response headers arrived (the watch is established). */
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * Opens a watch and calls `onLine` with every raw line and its arrival time; `onEnd` when the server ended the
 * response (an apiserver under load closes watchers that fall behind), not when `close()` was called.
 */
export function openWatch(target: WatchTarget, onLine: (line: string, at: number) => void, onEnd?: () => void): OpenWatch {
  let closed = false;
  let req: ClientRequest | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const url = new URL(`${target.path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${target.resourceVersion}`, target.server);
    req = request(url, { ca: readFileSync(target.caFile), headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch ${target.path}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      resolve();
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        const at = clock();
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line !== '') onLine(line, at);
      });
      res.on('error', () => {});
      res.on('close', () => {
        if (!closed) onEnd?.();
      });
    });
    req.on('error', (error: Error) => reject(error));
    req.end();
  });
  return {
    ready,
    close: () => {
      closed = true;
      req?.destroy();
    },
  };
}

interface WatchLine {
  readonly type: string;
  readonly object: { readonly metadata?: { readonly name?: string; readonly resourceVersion?: string } };
}

// Worker-thread entry (latency floor): report `name@rv` arrivals in batches, so posting messages does not
// become the cost being measured.
if (parentPort !== null && (workerData as { role?: string } | undefined)?.role === 'plain-watch') {
  const port = parentPort;
  let batch: [string, number][] = [];
  let resourceVersion = (workerData as WatchTarget).resourceVersion;
  let reconnects = 0;
  // Like any real client, resume from the last resourceVersion seen when the server ends the watch.
  const open = (): OpenWatch =>
    openWatch(
      { ...(workerData as WatchTarget), resourceVersion },
      (line, at) => {
        const event = JSON.parse(line) as WatchLine;
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type === 'BOOKMARK') return;
        batch.push([`${event.object.metadata?.name ?? ''}@${event.object.metadata?.resourceVersion ?? ''}`, at]);
      },
      () => {
        reconnects++;
        watch = open();
      },
    );
  let watch = open();
  const timer = setInterval(() => {
    if (batch.length === 0) return;
    port.postMessage({ type: 'arrivals', arrivals: batch });
    batch = [];
  }, 20);
  watch.ready.then(
    () => port.postMessage({ type: 'ready' }),
    (error: unknown) => port.postMessage({ type: 'error', message: String(error) }),
  );
  port.on('message', (message: { type: string }) => {
    if (message.type !== 'close') return;
    clearInterval(timer);
    if (batch.length > 0) port.postMessage({ type: 'arrivals', arrivals: batch });
    watch.close();
    port.postMessage({ type: 'closed', reconnects });
  });
}

// Process entry (idle floor): `node plain-watch.ts '<WatchTarget as JSON>'`, parses every line, runs until killed.
if (isMainThread && import.meta.main) {
  const watch = openWatch(JSON.parse(process.argv[2] ?? '{}') as WatchTarget, (line) => void JSON.parse(line));
  watch.ready.then(
    () => process.stdout.write('ready\n'),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
