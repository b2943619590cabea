/**
 * Micro-benchmark of the http-sink's body for one batch (issue 7): the original payload of 500 processed
 * objects (memoized canonical text, as the pipeline hands them over) as text then `Buffer.from` (what the sink
 * did), against `encodeWatchProxyPayload(..., 'buffer')`, which writes the pieces straight into one Buffer.
 * The text of a batch is a rope of ~1,000 pieces: `Buffer.from` first flattens it into one ~2.2 MB string (a
 * large-object allocation the GC has to reclaim), then measures and encodes it into a fresh allocation.
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/payload-buffer.ts [OBJECTS.json] [BATCH]
 *
 * OBJECTS.json is a list (e.g. `kubectl get pods -o json`), `-` for the default: generated Pods and ReplicaSets
 * (see served-objects.ts). BATCH defaults to 500, the throughput scenario's batch size.
 */
import { performance } from 'node:perf_hooks';
import { DeltaEngine } from '../../packages/core/src/delta/delta-engine.ts';
import { buildMeta, encodeWatchProxyPayload } from '../../packages/core/src/payload/watch-proxy-payload.ts';
import type { Change } from '../../packages/core/src/types.ts';
import type { ResolvedResource } from '../../packages/core/src/watch/watch-event.ts';
import { servedObjects } from './served-objects.ts';

const file = process.argv[2] === '-' ? undefined : process.argv[2];
const size = Number(process.argv[3] ?? 500);
const objects = servedObjects(size, file);
const pods: ResolvedResource = { name: 'pods', ref: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } };
const engine = new DeltaEngine({ clusterName: 'bench', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map(), now: () => 0 });
const changes: Change[] = objects.map((object) => {
  const outcome = engine.process(pods, { type: 'update', object: structuredClone(object) as Record<string, unknown> });
  if (outcome.kind !== 'change') throw new Error('dropped');
  return outcome.change;
});
const meta = buildMeta(null, 'bench');
const expected = Buffer.from(encodeWatchProxyPayload(changes, meta), 'utf8');
if (!encodeWatchProxyPayload(changes, meta, 'buffer').equals(expected)) throw new Error('the two bodies differ');
process.stdout.write(`${changes.length} objects per batch, ${(expected.length / 1e6).toFixed(2)} MB per body\n`);

let sink = 0;
const cases: [string, () => void][] = [
  ['text, then Buffer.from (before)', () => void (sink += Buffer.from(encodeWatchProxyPayload(changes, meta), 'utf8').length)],
  ["encodeWatchProxyPayload(..., 'buffer')", () => void (sink += encodeWatchProxyPayload(changes, meta, 'buffer').length)],
];
for (const round of [1, 2, 3]) {
  for (const [name, run] of cases) {
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < 1500) {
      run();
      n++;
    }
    const us = ((performance.now() - started) * 1000) / n;
    process.stdout.write(`round ${round} ${name}: ${Math.round(us)} us per batch, ${(us / changes.length).toFixed(2)} us per object\n`);
  }
}
if (sink === 0) throw new Error('nothing encoded');
