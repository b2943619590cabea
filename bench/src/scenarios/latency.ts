/**
 * End-to-end latency (apiserver write acknowledged -> POST body received) through the real daemon, at several
 * change rates, next to a plain watch client on the same apiserver seeing the same writes at the same time.
 * And the slow-endpoint scenario: the same measurement on a healthy endpoint while a second one answers in 2 s.
 */
import type { Context } from '../context.ts';
import { Daemon } from '../daemon.ts';
import { Receiver } from '../receiver.ts';
import { load1, waitUntil } from '../stats.ts';
import { LATENCY_NAMESPACE, LATENCY_PATH, PlainWatcher, ensureLatencyPool, latencies, newestPerObject, pacedWrites } from '../writes.ts';

// Batches big enough that 1k changes/s fit in one batch per emitInterval when one is set; the original default
// (10) caps such a sink at 10 objects per interval, which no latency target can survive.
const BATCH = 500;

/**
 * The daemon's default (no emitInterval: adaptive batching, the target's setting) and the original's example
 * setting `emitInterval: 1`, which keeps its meaning (at most one batch per second), to show what a ticker costs.
 */
const INTERVALS: readonly { readonly label: string; readonly value: string | undefined; readonly lingerMs: number }[] = [
  { label: 'default (adaptive)', value: undefined, lingerMs: 10 },
  { label: 'emitInterval 1s', value: '1s', lingerMs: 1000 },
];

export async function latency(ctx: Context): Promise<void> {
  const rv = await ensureLatencyPool(ctx);
  const watcher = await PlainWatcher.start(ctx, LATENCY_PATH, rv);
  try {
    for (const interval of INTERVALS) {
      const receiver = await Receiver.start({ mode: 'track' });
      const daemon = Daemon.start(ctx.cluster.kubeconfigPath, {
        namespace: LATENCY_NAMESPACE,
        endpoints: [receiver.url],
        emitBatchMaxObjects: BATCH,
        ...(interval.value === undefined ? {} : { emitInterval: interval.value }),
      });
      try {
        await daemon.waitSynced(120_000);
        await waitUntil(() => receiver.items >= ctx.sizes.latencyPool, 'the initial adds to arrive', 60_000);
        for (const { rate, ms } of ctx.sizes.latencyRates) {
          const load = load1();
          const writes = await pacedWrites(ctx, rate, ms);
          // An earlier write can be coalesced with a later one to the same object while queued (by design: the
          // receiver gets the latest state); the newest write of each object always arrives.
          const newest = newestPerObject(writes.acks);
          await waitUntil(
            () => newest.every((key) => receiver.arrivals.has(key) && watcher.arrivals.has(key)),
            'the newest write of every object to arrive',
            interval.lingerMs + 30_000,
          ).catch((error: unknown) => {
            // Reported with the figures rather than failing the scenario: which side lost writes is the finding.
            const lostByDaemon = newest.filter((key) => !receiver.arrivals.has(key));
            const lostByWatch = newest.filter((key) => !watcher.arrivals.has(key));
            ctx.log(`latency @${rate}/s: ${String(error)}; missing at the receiver ${lostByDaemon.length} (${lostByDaemon.slice(0, 3).join(' ')}), at the plain watch ${lostByWatch.length}`);
            ctx.detail('latency-missing', { interval: interval.label, rate, receiver: lostByDaemon, plainWatch: lostByWatch });
          });
          const got = latencies(writes.acks, receiver.arrivals);
          const floor = latencies(writes.acks, watcher.arrivals);
          ctx.detail('latency', { interval: interval.label, rate, achievedRate: Math.round(writes.achievedRate), failedWrites: writes.failed, daemon: got, plainWatch: floor, load });
          const note = `+${(got.p50 - floor.p50).toFixed(1)} / +${(got.p99 - floor.p99).toFixed(1)} ms over the floor at p50 / p99; ${Math.round(writes.achievedRate)} writes/s achieved; max ${got.max.toFixed(0)} ms (floor ${floor.max.toFixed(1)}); ${got.missing} of ${writes.acks.size} coalesced/missing`;
          const isTarget = rate === 1000 && interval.value === undefined;
          for (const [figure, value, floorValue, target, limit] of [
            ['p50', got.p50, floor.p50, '<= 20 ms', 20],
            ['p99', got.p99, floor.p99, '<= 100 ms', 100],
          ] as const) {
            ctx.report({
              scenario: 'latency',
              figure: `${figure} @ ${rate}/s, ${interval.label}`,
              value,
              unit: 'ms',
              floor: floorValue,
              floorLabel: 'plain watch client',
              // A watch event often arrives before the write's own response (floor <= 0): a ratio to ~0 says
              // nothing, so below 1 ms only the difference is given, in the notes.
              ratio: floorValue >= 1 ? value / floorValue : undefined,
              target: isTarget ? target : undefined,
              met: isTarget ? value <= limit : undefined,
              note,
            });
          }
        }
      } finally {
        await daemon.stop();
        await receiver.close();
      }
    }
  } finally {
    ctx.detail('latency-plain-watch', { reconnects: await watcher.close() });
  }
}

/**
 * Two endpoints; the second answers every POST after 2 s. The first one's latency is compared with a run where
 * both are healthy (the floor), same daemon settings, same write rate.
 */
export async function slowEndpoint(ctx: Context): Promise<void> {
  await ensureLatencyPool(ctx);
  const runs: Record<string, ReturnType<typeof latencies>> = {};
  for (const peerDelayMs of [0, 2000]) {
    const healthy = await Receiver.start({ mode: 'track' });
    const peer = await Receiver.start({ mode: 'count', delayMs: peerDelayMs });
    const daemon = Daemon.start(ctx.cluster.kubeconfigPath, { namespace: LATENCY_NAMESPACE, endpoints: [healthy.url, peer.url], emitBatchMaxObjects: BATCH });
    try {
      await daemon.waitSynced(120_000);
      await waitUntil(() => healthy.items >= ctx.sizes.latencyPool, 'the initial adds to arrive', 60_000);
      const writes = await pacedWrites(ctx, ctx.sizes.slowRate, ctx.sizes.slowMs);
      const newest = newestPerObject(writes.acks);
      await waitUntil(() => newest.every((key) => healthy.arrivals.has(key)), 'the newest writes to arrive at the healthy endpoint', 31_000);
      runs[peerDelayMs === 0 ? 'bothHealthy' : 'peerSlow'] = latencies(writes.acks, healthy.arrivals);
      ctx.detail('slow-endpoint', { peerDelayMs, healthy: runs[peerDelayMs === 0 ? 'bothHealthy' : 'peerSlow'], peerItems: peer.items, peerRequests: peer.requests });
    } finally {
      // A daemon with a 2 s peer would spend its whole shutdown grace period draining; the run is over anyway.
      daemon.process.kill('SIGKILL');
      await daemon.stop();
      await healthy.close();
      await peer.close();
    }
  }
  const base = runs['bothHealthy']!;
  const slow = runs['peerSlow']!;
  for (const figure of ['p50', 'p99'] as const) {
    const ratio = slow[figure] / Math.max(base[figure], 0.1);
    ctx.report({
      scenario: 'slow-endpoint',
      figure: `healthy endpoint ${figure} @ ${ctx.sizes.slowRate}/s, peer answering in 2 s`,
      value: slow[figure],
      unit: 'ms',
      floor: base[figure],
      floorLabel: 'same, both endpoints healthy',
      ratio,
      target: 'unchanged (~1x)',
      // A blocked lane would add the peer's full 2 s; anything well under that is noise of the shared machine.
      met: figure === 'p99' ? slow.p99 < base.p99 + 500 : undefined,
      note: `max ${slow.max.toFixed(0)} ms vs ${base.max.toFixed(0)} ms`,
    });
  }
}
