/**
 * Micro-benchmark of the watch stage's initial list on its own (no delta engine, no sinks): a resource watcher's
 * start -> synced on one namespace of a real cluster, with handlers that do nothing, against the floor of the
 * sync scenario: the same paginated LIST (limit 500, continue tokens) downloaded raw, bytes read and not parsed.
 * Runs alternate (floor, watcher, floor, ...) so both see the same load; reported: the best of each and the
 * median of the per-run ratios.
 * `--src DIR` loads the watcher from another copy of packages/core/src (e.g. an older commit from `git archive`).
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/watcher-sync.ts KUBECONFIG NAMESPACE [--runs N] [--src DIR]
 */
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { createResourceWatcher as Create } from '../../packages/core/src/watch/resource-watcher.ts';

const args = process.argv.slice(2);
const [kubeconfig, namespace] = args;
if (kubeconfig === undefined || namespace === undefined) throw new Error('usage: watcher-sync.ts KUBECONFIG NAMESPACE [--runs N] [--src DIR]');
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(opt('--runs') ?? '3');
const srcArg = opt('--src');
const src = srcArg === undefined ? new URL('../../packages/core/src', import.meta.url).pathname : resolve(srcArg);
const { createResourceWatcher } = (await import(pathToFileURL(`${src}/watch/resource-watcher.ts`).href)) as { createResourceWatcher: typeof Create };

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const path = `/api/v1/namespaces/${namespace}/configmaps`;

async function get(url: string): Promise<Buffer> {
  const options = {};
  await kc.applyToHTTPSOptions(options);
  return await new Promise((resolvePromise, reject) => {
    const req = request(url, options, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolvePromise(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The sync scenario's floor: every page, bytes read, only the head decoded to find the continue token. */
async function rawDownload(): Promise<{ ms: number; bytes: number; pages: number }> {
  const server = kc.getCurrentCluster()!.server;
  const started = performance.now();
  let bytes = 0;
  let pages = 0;
  let token: string | undefined;
  do {
    const body = await get(`${server}${path}?limit=500${token === undefined ? '' : `&continue=${encodeURIComponent(token)}`}`);
    bytes += body.length;
    pages++;
    token = /"continue":"([^"]+)"/.exec(body.toString('latin1', 0, Math.min(body.length, 4096)))?.[1];
  } while (token !== undefined);
  return { ms: performance.now() - started, bytes, pages };
}

async function watcherSync(): Promise<{ ms: number; objects: number }> {
  const started = performance.now();
  const watcher = createResourceWatcher({
    kubeConfig: kc,
    resource: { name: 'configmaps', ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } },
    namespaces: [namespace!],
    handlers: { onEvent: () => {} },
  });
  await watcher.start();
  const ms = performance.now() - started;
  const objects = watcher.cache.size;
  await watcher.stop();
  return { ms, objects };
}

const floors: number[] = [];
const syncs: number[] = [];
let info = {};
for (let i = 0; i < runs; i++) {
  const f = await rawDownload();
  floors.push(f.ms);
  const s = await watcherSync();
  syncs.push(s.ms);
  info = { objects: s.objects, pages: f.pages, MiB: +(f.bytes / 2 ** 20).toFixed(1) };
}
const best = (xs: number[]): number => Math.min(...xs);
// Each run's sync against the floor taken just before it, the median of those: steadier than the best under load.
const ratios = syncs.map((s, i) => s / floors[i]!).sort((a, b) => a - b);
const median = ratios[Math.floor(ratios.length / 2)]!;
process.stdout.write(
  `${JSON.stringify({ src, ...info, floorMs: floors.map(Math.round), syncMs: syncs.map(Math.round), bestRatio: +(best(syncs) / best(floors)).toFixed(2), medianRatio: +median.toFixed(2) })}\n`,
);
