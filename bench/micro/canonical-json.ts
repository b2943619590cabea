/**
 * Micro-benchmark behind the fix of issue 7 (now applied): the delta engine copied every object (cloneJson),
 * then the fingerprint serialized the copy with a hand-written encoder of Go's format (keys sorted at every
 * depth). Sorting the keys while copying (the copy walks every object anyway) and serializing the copy with
 * the native JSON.stringify, escaping Go's extra characters afterwards only when a string has one
 * (encodeKeySortedJson), gives the same bytes. Compares the two on the copy and serialization alone; the
 * whole engine before and after is bench/micro/delta-engine.ts.
 *
 *   node bench/micro/canonical-json.ts [OBJECTS.json]   (a list, e.g. `kubectl get pods -o json`; default:
 *                                                        600 generated Pods/ReplicaSets, see served-objects.ts)
 */
import { performance } from 'node:perf_hooks';
import { encodeCanonicalJson, encodeKeySortedJson, sortByCodeUnit } from '../../packages/core/src/payload/canonical-json.ts';
import { cloneJson } from '../../packages/core/test/delta/reference-steps.ts';
import { servedObjects } from './served-objects.ts';

const objects: unknown[] = servedObjects(600, process.argv[2]);

/**
 * A copy with keys in sorted order (plain ASCII keys, as Kubernetes field names are; see the note below), sorted
 * as the delta engine's projection sorts them (sortByCodeUnit).
 */
function cloneSorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneSorted);
  const keys = sortByCodeUnit(Object.keys(value));
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = cloneSorted((value as Record<string, unknown>)[key]);
  return out;
}

// Integer-like keys ("0", "42") would be reordered by V8's property order: the delta engine's copy detects
// them and takes encodeCanonicalJson instead (these objects have none).
function nativeCanonical(value: unknown): string {
  return encodeKeySortedJson(cloneSorted(value));
}

let mismatches = 0;
for (const o of objects) if (nativeCanonical(o) !== encodeCanonicalJson(cloneJson(o))) mismatches++;
process.stdout.write(`${objects.length} objects, ${mismatches} give different bytes\n`);

for (const [name, fn] of [
  ['cloneJson + encodeCanonicalJson (the old steps)', (o: unknown) => encodeCanonicalJson(cloneJson(o))],
  ['sorted clone + encodeKeySortedJson', nativeCanonical],
  ['cloneJson + encodeCanonicalJson (the old steps)', (o: unknown) => encodeCanonicalJson(cloneJson(o))],
  ['sorted clone + encodeKeySortedJson', nativeCanonical],
] as const) {
  const started = performance.now();
  let n = 0;
  let bytes = 0;
  while (performance.now() - started < 2000) {
    for (const o of objects) bytes += fn(o).length;
    n += objects.length;
  }
  if (bytes === 0) throw new Error('nothing encoded');
  const us = ((performance.now() - started) * 1000) / n;
  process.stdout.write(`${name}: ${us.toFixed(1)} us per object (${Math.round(1e6 / us).toLocaleString('en-US')}/s)\n`);
}
