/**
 * The loopback receiver, on its own thread so its work never shares an event loop with what is measured.
 * `count` mode only scans bodies for the payload's per-item key (no parse, so it stays cheap at 100k objects);
 * `track` mode parses each body and reports every item's name and resourceVersion with its arrival time.
 * `delayMs` answers late (the slow endpoint).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { clock } from './stats.ts';

interface Options {
  readonly mode: 'count' | 'track';
  readonly delayMs: number;
}

const { mode, delayMs } = workerData as Options;
// Every item of the original payload has exactly one `asset_type_id` key; object data never contains it here.
const ITEM_KEY = Buffer.from('"asset_type_id"');

interface Payload {
  readonly data: readonly { readonly data?: { readonly metadata?: { readonly name?: string; readonly resourceVersion?: string } } }[];
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = clock();
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (mode === 'track') {
      const doc = JSON.parse(body.toString('utf8')) as Payload;
      const keys = doc.data.map((item) => `${item.data?.metadata?.name ?? ''}@${item.data?.metadata?.resourceVersion ?? ''}`);
      parentPort?.postMessage({ type: 'items', n: keys.length, keys, at });
    } else {
      let n = 0;
      for (let i = body.indexOf(ITEM_KEY); i !== -1; i = body.indexOf(ITEM_KEY, i + ITEM_KEY.length)) n++;
      parentPort?.postMessage({ type: 'items', n, at });
    }
    const answer = (): void => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => parentPort?.postMessage({ type: 'listening', port: (server.address() as AddressInfo).port }));
parentPort?.on('message', (message: { type: string }) => {
  if (message.type === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
