/**
 * Micro-benchmark of the delta engine's per-event cost (issue 7): `DeltaEngine.process` on real-shaped watch
 * objects (default settings: managedFields dropped, last-applied redacted), next to the JSON.parse of the
 * same lines, which is the floor the throughput scenario compares against, and next to the steps the engine
 * took before its single-pass projection (clone, delete, redact, prune, freeze, encode, hash), so before and
 * after come from the same run whatever the machine's load. Also times the canonical text alone
 * (`encodeCanonicalJson` on an already processed object).
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/delta-engine.ts [OBJECTS.json]
 *
 * OBJECTS.json is a list (e.g. `kubectl get pods -o json`); by default 600 generated Pods and ReplicaSets
 * (see served-objects.ts).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cloneJson, redact } from '../../packages/core/test/delta/reference-steps.ts';
import { deepFreeze } from '../../packages/core/src/internal/deep-freeze.ts';
import { DeltaEngine } from '../../packages/core/src/delta/delta-engine.ts';
import { encodeCanonicalJson } from '../../packages/core/src/payload/canonical-json.ts';
import type { ResolvedResource } from '../../packages/core/src/watch/watch-event.ts';
import { servedObjects } from './served-objects.ts';

const objects = servedObjects(600, process.argv[2]);
const lines = objects.map((object) => JSON.stringify({ type: 'MODIFIED', object }));
const pods: ResolvedResource = { name: 'pods', ref: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } };
const engine = new DeltaEngine({ clusterName: 'bench', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map(), now: () => 0 });
const parsed = lines.map((line) => (JSON.parse(line) as { object: Record<string, unknown> }).object);
const processed = parsed.map((object) => {
  const outcome = engine.process(pods, { type: 'update', object });
  if (outcome.kind !== 'change') throw new Error('dropped');
  return outcome.change.object;
});
// The engine's work per event before the projection (commit f63246e's delta-engine.ts), filters aside.
function before(source: Record<string, unknown>): string {
  const object = cloneJson(source);
  delete object['kind'];
  delete object['apiVersion'];
  redact(object, pods.ref, { includeSecretData: false, includeManagedFields: false });
  const metadata = object['metadata'] as Record<string, unknown>;
  metadata['uniqueId'] = `bench-${String(metadata['uid'])}`;
  deepFreeze(object);
  return createHash('sha1').update(encodeCanonicalJson(object)).digest('base64url');
}
for (const object of parsed) {
  const outcome = engine.process(pods, { type: 'update', object });
  if (outcome.kind !== 'change' || outcome.change.fingerprint !== before(object)) throw new Error('the engine and the old steps disagree');
}
const bytes = lines.reduce((sum, line) => sum + line.length, 0) / lines.length;
process.stdout.write(`${objects.length} objects, ${Math.round(bytes)} bytes per watch line\n`);

let sink = 0;
const cases: [string, () => void][] = [
  ['JSON.parse of the line (floor)', () => { for (const line of lines) sink += (JSON.parse(line) as object) === null ? 0 : 1; }],
 ['old steps (clone, redact, freeze, encode, hash)', () => { for (const object of parsed) sink += before(object).length; }],
  ['DeltaEngine.process', () => { for (const object of parsed) sink += engine.process(pods, { type: 'update', object }).kind.length; }],
  ['encodeCanonicalJson of the result', () => { for (const object of processed) sink += encodeCanonicalJson(object).length; }],
];
for (const round of [1, 2, 3]) {
  for (const [name, run] of cases) {
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < 2000) {
      run();
      n += objects.length;
    }
    const us = ((performance.now() - started) * 1000) / n;
    process.stdout.write(`round ${round} ${name}: ${us.toFixed(2)} us per object\n`);
  }
}
if (sink === 0) throw new Error('nothing measured');
