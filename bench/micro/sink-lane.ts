/**
 * Micro-benchmark of one sink lane's own cost per change (issue 7): offer (is it needed, coalesce), cut batches,
 * deliver to a sink that answers `delivered` at once, record in the emit cache. The throughput scenario's shape:
 * 2,000 processed objects (memoized canonical text, as the delta engine leaves them), each round a real change
 * of every one (new fingerprint), batches of 500, nothing coalesces.
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/sink-lane.ts [OBJECTS.json]
 *
 * OBJECTS.json is a list (e.g. `kubectl get pods -o json`); by default generated Pods and ReplicaSets (see
 * served-objects.ts).
 */
import { performance } from 'node:perf_hooks';
import { EmitCache } from '../../packages/core/src/cache/emit-cache.ts';
import { DeltaEngine } from '../../packages/core/src/delta/delta-engine.ts';
import { SinkLane } from '../../packages/core/src/deliver/sink-lane.ts';
import { silentLogger } from '../../packages/core/src/logger.ts';
import type { Change } from '../../packages/core/src/types.ts';
import type { ResolvedResource } from '../../packages/core/src/watch/watch-event.ts';
import { servedObjects } from './served-objects.ts';

const objects = servedObjects(2000, process.argv[2]);
const pods: ResolvedResource = { name: 'pods', ref: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } };
const engine = new DeltaEngine({ clusterName: 'bench', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map(), now: () => 0 });
const base: Change[] = objects.map((object) => {
  const outcome = engine.process(pods, { type: 'update', object: structuredClone(object) as Record<string, unknown> });
  if (outcome.kind !== 'change') throw new Error('dropped');
  return outcome.change;
});
// One set of changes per round, made beforehand: only the lane's work is timed.
const rounds = Array.from({ length: 8 }, (_, round) => base.map((c) => Object.freeze({ ...c, fingerprint: `${c.fingerprint}-${round}` })));

let delivered = 0;
const cache = new EmitCache({ ttlMs: 0, now: Date.now });
const lane = new SinkLane({
  sink: { name: 'noop', send: async (batch) => ((delivered += batch.items.length), { status: 'delivered' }) },
  cache,
  logger: silentLogger,
  emitIntervalMs: 1,
  maxObjects: 500,
  maxBytes: 5 * 1024 * 1024,
  attemptTimeoutMs: 10_000,
  abortGraceMs: 5_000,
  retry: { initialMs: 500, maxMs: 30_000, maxRetryAfterMs: 300_000 },
  now: Date.now,
  random: Math.random,
  hooks: { emitted: () => {}, dropped: () => {}, retrying: () => {}, error: () => {} },
});
lane.start();

async function round(changes: readonly Change[]): Promise<void> {
  for (const change of changes) lane.offer(change);
  await lane.flush();
}

await round(rounds[0]!); // warm-up: fills the emit cache
for (let pass = 1; pass <= 3; pass++) {
  const before = delivered;
  const started = performance.now();
  let offered = 0;
  while (performance.now() - started < 2000) {
    for (const changes of rounds.slice(1)) {
      await round(changes);
      offered += changes.length;
    }
  }
  const us = ((performance.now() - started) * 1000) / offered;
  if (delivered - before !== offered) throw new Error(`offered ${offered}, delivered ${delivered - before}`);
  process.stdout.write(`pass ${pass}: ${us.toFixed(2)} us per change (offer, batch, deliver, record)\n`);
}
await lane.close();
