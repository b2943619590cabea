/**
 * Micro-benchmark of the watch stage's memory on its own (no delta engine, no emit cache): a resource watcher
 * lists and watches one namespace of a real cluster with handlers that keep nothing, then
 *   - heap per cached object after full GCs, against the process's heap before the watcher existed;
 *   - a relist (`watcher.relist()`, the same list a 410 makes): the heap sampled every 2 ms (garbage included),
 *     peak against the steady heap, as the memory scenario of `pnpm bench` reports it.
 * `--drop` sets `dropManagedFields`. `--src DIR` loads the watcher from another copy of packages/core/src (e.g.
 * an older commit extracted with `git archive`), to compare before and after in the same conditions.
 *
 *   node --expose-gc --import ./bench/micro/source-hooks.ts bench/micro/watcher-heap.ts KUBECONFIG NAMESPACE [--drop] [--src DIR]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { createResourceWatcher as Create } from '../../packages/core/src/watch/resource-watcher.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const args = process.argv.slice(2);
const [kubeconfig, namespace] = args;
if (kubeconfig === undefined || namespace === undefined) throw new Error('usage: watcher-heap.ts KUBECONFIG NAMESPACE [--drop] [--src DIR]');
const drop = args.includes('--drop');
const srcAt = args.indexOf('--src');
const src = srcAt >= 0 ? resolve(args[srcAt + 1]!) : new URL('../../packages/core/src', import.meta.url).pathname;
const { createResourceWatcher } = (await import(pathToFileURL(`${src}/watch/resource-watcher.ts`).href)) as { createResourceWatcher: typeof Create };

const fullGc = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const MiB = 2 ** 20;

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const baseline = fullGc();
const watcher = createResourceWatcher({
  kubeConfig: kc,
  resource: { name: 'configmaps', ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } },
  namespaces: [namespace],
  handlers: { onEvent: () => {} },
  ...(drop ? { dropManagedFields: true } : {}),
});
await watcher.start();
const objects = watcher.cache.size;
const steady = fullGc();

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
watcher.relist();
const deadline = Date.now() + 120_000;
while (watcher.health().relists < 1 || watcher.health().state !== 'watching') {
  if (Date.now() > deadline) throw new Error('the relist did not finish within 120 s');
  await new Promise((r) => setTimeout(r, 5));
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().heapUsed);
const after = fullGc();
await watcher.stop();

const out = {
  src,
  dropManagedFields: drop,
  objects,
  heapPerObjectKB: +((steady - baseline) / objects / 1024).toFixed(2),
  steadyHeapMiB: +(steady / MiB).toFixed(1),
  relistPeakHeapMiB: +(peak / MiB).toFixed(1),
  relistPeakOverSteady: +(peak / steady).toFixed(2),
  relistExtraPerObjectKB: +((peak - steady) / objects / 1024).toFixed(2),
  heapAfterRelistMiB: +(after / MiB).toFixed(1),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
