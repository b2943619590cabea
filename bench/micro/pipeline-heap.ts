/**
 * Heap per watched object of a whole WatchProxy (watcher cache + emit cache), with the watch source built here the
 * way the default one is (one resource watcher per resource), so the watcher's `dropManagedFields` can be turned
 * on before the default source passes it: what the memory scenario of `pnpm bench` would show once it does. The
 * sink acknowledges every batch without sending anything. Heap after full GCs, against the process's heap before
 * the WatchProxy existed; then a relist (`watcher.relist()`) with the heap sampled every 2 ms, garbage included.
 *
 *   node --expose-gc --import ./bench/micro/source-hooks.ts bench/micro/pipeline-heap.ts KUBECONFIG NAMESPACE [--drop]
 */
import { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy } from '../../packages/core/src/watch-proxy.ts';
import type { WatchSource } from '../../packages/core/src/watch/watch-source.ts';
import { createResourceWatcher } from '../../packages/core/src/watch/resource-watcher.ts';
import type { ResourceWatcher } from '../../packages/core/src/watch/resource-watcher.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const [kubeconfig, namespace] = process.argv.slice(2);
if (kubeconfig === undefined || namespace === undefined) throw new Error('usage: pipeline-heap.ts KUBECONFIG NAMESPACE [--drop]');
const drop = process.argv.includes('--drop');
const fullGc = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const MiB = 2 ** 20;

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfig);
const baseline = fullGc();
let watcher: ResourceWatcher | undefined;
const source: WatchSource = {
  async start(handlers) {
    watcher = createResourceWatcher({ kubeConfig, resource: 'configmaps', namespaces: [namespace], handlers, dropManagedFields: drop });
    await watcher.start();
  },
  async stop() {
    await watcher?.stop();
  },
  snapshot: () => (watcher?.resource === undefined ? [] : [{ resource: watcher.resource, objects: [...watcher.cache.values()] }]),
};
let delivered = 0;
const proxy = new WatchProxy({
  resources: [{ name: 'configmaps', assetId: 'cm', namespaces: [namespace] }],
  sinks: [{ name: 'null', send: async (batch) => ((delivered += batch.items.length), { status: 'delivered' as const }) }],
  watchSource: () => source,
  emitIntervalMs: 1,
  emitBatchMaxObjects: 500,
});
await proxy.start();
const objects = watcher!.cache.size;
while (delivered < objects) await new Promise((r) => setTimeout(r, 10));
const steady = fullGc();

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
watcher!.relist();
while (watcher!.health().relists < 1 || watcher!.health().state !== 'watching') await new Promise((r) => setTimeout(r, 5));
clearInterval(sampler);
await proxy.shutdown();
process.stdout.write(
  `${JSON.stringify({
    dropManagedFields: drop,
    objects,
    heapPerObjectKB: +((steady - baseline) / objects / 1024).toFixed(2),
    steadyHeapMiB: +(steady / MiB).toFixed(1),
    relistPeakOverSteady: +(peak / steady).toFixed(2),
  })}\n`,
);
