/**
 * Memory per watched object, in-process (a host process with --expose-gc): heap and RSS after a full GC at each
 * population size, minus the same process's baseline before the WatchProxy was created. The floor is the
 * object's own JSON size on the wire. At the largest size, a real relist (etcd compacted, apiserver restarted,
 * so the watch resumes with 410 Gone) gives the relist peak against the steady state.
 */
import { writeFileSync } from 'node:fs';
import type { Context } from '../context.ts';
import { Host } from '../host-handle.ts';
import { syncNamespace, syncPath, ensurePopulation, listDownload } from '../population.ts';
import { Receiver } from '../receiver.ts';
import { load1, processRss } from '../stats.ts';

interface Memory {
  readonly baseline: { heapUsed: number; rss: number };
  readonly now: { heapUsed: number; rss: number; heapTotal: number; external: number };
  readonly rss: number;
  readonly peak: number;
}

const KB = 1024;

export async function memory(ctx: Context): Promise<void> {
  const points: { n: number; heap: number; rss: number }[] = [];
  const sizes = ctx.sizes.populations;
  for (const n of sizes) {
    await ensurePopulation(ctx, n);
    const jsonBytes = (await listDownload(ctx, syncPath(n))).bytes / n;
    const receiver = await Receiver.start();
    const host = await Host.start();
    try {
      const load = load1();
      await host.call('watch', { kubeconfig: ctx.cluster.kubeconfigPath, namespace: syncNamespace(n), url: receiver.url, batch: 500 });
      const m = await host.call<Memory>('memory');
      const heap = (m.now.heapUsed - m.baseline.heapUsed) / n;
      const rss = (m.now.rss - m.baseline.rss) / n;
      points.push({ n, heap: m.now.heapUsed, rss: m.now.rss });
      ctx.detail('memory', { objects: n, jsonBytesPerObject: Math.round(jsonBytes), ...m, load });
      ctx.report({
        scenario: 'memory',
        figure: `heap per object @ ${n.toLocaleString('en-US')}`,
        value: heap / KB,
        unit: 'KB',
        floor: jsonBytes / KB,
        floorLabel: "object's JSON size",
        ratio: heap / jsonBytes,
        target: '<= 1.5 KB',
        met: heap <= 1.5 * KB,
        note: `baseline heap ${(m.baseline.heapUsed / 2 ** 20).toFixed(0)} MiB, now ${(m.now.heapUsed / 2 ** 20).toFixed(0)} MiB`,
      });
      ctx.report({
        scenario: 'memory',
        figure: `RSS per object @ ${n.toLocaleString('en-US')}`,
        value: rss / KB,
        unit: 'KB',
        floor: jsonBytes / KB,
        floorLabel: "object's JSON size",
        ratio: rss / jsonBytes,
        note: `RSS ${(m.now.rss / 2 ** 20).toFixed(0)} MiB, of which V8's committed heap ${(m.now.heapTotal / 2 ** 20).toFixed(0)} MiB, external ${(m.now.external / 2 ** 20).toFixed(0)} MiB; the rest is pages V8 pooled after the sync`,
      });
      // What the daemon holds once the list is delivered: it then runs the collection that releases V8's pooled pages.
      const released = await host.call<Memory>('memory', { release: true });
      const releasedRss = (released.now.rss - released.baseline.rss) / n;
      ctx.detail('memory-released', { objects: n, ...released, load });
      ctx.report({
        scenario: 'memory',
        figure: `RSS per object @ ${n.toLocaleString('en-US')}, after the daemon's list-memory release`,
        value: releasedRss / KB,
        unit: 'KB',
        floor: jsonBytes / KB,
        floorLabel: "object's JSON size",
        ratio: releasedRss / jsonBytes,
        target: '<= 3 KB',
        met: releasedRss <= 3 * KB,
        note: `RSS ${(released.now.rss / 2 ** 20).toFixed(0)} MiB (baseline ${(released.baseline.rss / 2 ** 20).toFixed(0)} MiB), V8's committed heap ${(released.now.heapTotal / 2 ** 20).toFixed(0)} MiB`,
      });
      if (n === sizes[sizes.length - 1]) await relistPeak(ctx, host, released, jsonBytes);
    } finally {
      await host.stop();
      await receiver.close();
    }
  }
  if (points.length >= 2) {
    const [a, b] = [points[0]!, points[points.length - 1]!];
    ctx.report({
      scenario: 'memory',
      figure: `heap per object, delta ${a.n.toLocaleString('en-US')} -> ${b.n.toLocaleString('en-US')}`,
      value: (b.heap - a.heap) / (b.n - a.n) / KB,
      unit: 'KB',
      target: '<= 1.5 KB',
      met: (b.heap - a.heap) / (b.n - a.n) <= 1.5 * KB,
      note: `RSS delta ${((b.rss - a.rss) / (b.n - a.n) / KB).toFixed(1)} KB/object`,
    });
  }
}

async function relistPeak(ctx: Context, host: Host, steady: Memory, jsonBytes: number): Promise<void> {
  // Advance etcd's revision past the host's resourceVersion, then compact it away: after the restart the new
  // watch cache cannot serve that resourceVersion and the watch ends with 410 Gone, which makes the reflector relist.
  await ctx.api.must('POST', '/api/v1/namespaces/default/secrets', { metadata: { generateName: 'bump-' }, stringData: { a: 'b' } });
  await ctx.cluster.compactEtcd();
  // VmHWM is reset by writing 5 to clear_refs, so the peak measured is the relist's, not the initial list's.
  writeFileSync(`/proc/${host.pid}/clear_refs`, '5');
  await host.call('sample', { on: true });
  await ctx.cluster.restartApiserver();
  const relisted = await host
    .call('waitSynced', { count: 2, timeoutMs: 300_000 })
    .then(() => true)
    .catch((error: unknown) => {
      ctx.log(`memory: no relist seen after the apiserver restart (${String(error)})`);
      return false;
    });
  const { heapPeak } = await host.call<{ heapPeak: number }>('sample', { on: false });
  const peakRss = processRss(host.pid).peak;
  const after = await host.call<Memory>('memory');
  ctx.detail('relist', { relisted, heapPeak, peakRss, steadyBefore: steady.now, steadyAfter: after.now, jsonBytesPerObject: jsonBytes });
  if (!relisted) return;
  ctx.report({
    scenario: 'memory',
    figure: 'relist peak heap / steady heap',
    value: heapPeak / steady.now.heapUsed,
    unit: 'x',
    target: '<= 1.5x',
    met: heapPeak / steady.now.heapUsed <= 1.5,
    note: `peak ${(heapPeak / 2 ** 20).toFixed(0)} MiB (sampled every 10 ms, garbage included) vs ${(steady.now.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  });
  ctx.report({
    scenario: 'memory',
    figure: 'relist peak RSS / steady RSS',
    value: peakRss / steady.now.rss,
    unit: 'x',
    target: '<= 1.5x',
    met: peakRss / steady.now.rss <= 1.5,
    note: `peak ${(peakRss / 2 ** 20).toFixed(0)} MiB vs ${(steady.now.rss / 2 ** 20).toFixed(0)} MiB`,
  });
}
