/**
 * Micro-benchmark of a CEL filter and transform per object (issue 15; goal <= 2 us for both): what an endpoint with
 * `filter` and `transform` adds to each change. The objects are the delta engine's output (pruned, key-sorted,
 * deep-frozen ~6 KB Pods and ReplicaSets, see served-objects.ts). Measured in turn, in the same process:
 *   - filter: `object.metadata.namespace.startsWith("bench") && has(object.metadata.labels.app)` (true for all)
 *   - filter + transform: the filter, then a 5-field projection (one through optional chaining), converted to JSON (BigInt ->
 *     number): the item's `data`
 *   - filter + transform + fingerprint: and the fingerprint of the projection (what dedup on it costs)
 *   - filter + transform, library only: the same two expressions evaluated by `@marcbachmann/cel-js` alone, without
 *     the direct evaluation of common shapes that `compileExpression` puts in front of it (fast-path.ts): what
 *     that saves, measured in the same minutes
 *
 * Reports CPU time per object (process.cpuUsage: on a shared, loaded machine wall time mostly measures waiting for
 * a core) and wall time beside it.
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/cel-expressions.ts [OBJECTS.json]
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fingerprintOf } from '../../packages/core/src/payload/canonical-json.ts';
import { DeltaEngine } from '../../packages/core/src/delta/delta-engine.ts';
import { celEnvironment } from '../../packages/core/src/expression/cel-environment.ts';
import { compileExpression, type CompiledExpression } from '../../packages/core/src/expression/compile-expression.ts';
import { ExpressionRule } from '../../packages/core/src/expression/expression-rule.ts';
import { silentLogger } from '../../packages/core/src/logger.ts';
import type { KubeObject } from '../../packages/core/src/types.ts';
import type { ResolvedResource } from '../../packages/core/src/watch/watch-event.ts';
import { servedObjects } from './served-objects.ts';

const pods: ResolvedResource = { name: 'pods', ref: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } };
const engine = new DeltaEngine({ clusterName: 'bench', ignoreNamespaces: new Set(), delayAddEventMs: 0, resources: new Map(), now: () => 0 });
const objects: { key: string; object: KubeObject }[] = servedObjects(2000, process.argv[2]).map((raw) => {
  const outcome = engine.process(pods, { type: 'update', object: raw as Record<string, unknown> });
  if (outcome.kind !== 'change') throw new Error('dropped');
  return { key: outcome.change.key, object: outcome.change.object };
});

const variables = ['object', 'resource'] as const;
const FILTER = 'object.metadata.namespace.startsWith("bench") && has(object.metadata.labels.app)';
const TRANSFORM =
  '{"name": object.metadata.name, "namespace": object.metadata.namespace, "app": object.metadata.labels.app, "ip": object.?status.?podIP.orValue(""), "resource": resource}';
const filter = new ExpressionRule({ name: 'filter', expression: compileExpression(FILTER, 'filter', variables), logger: silentLogger });
const transform = new ExpressionRule({ name: 'transform', expression: compileExpression(TRANSFORM, 'transform', variables), logger: silentLogger });

// The same rules on the library's evaluation alone.
function libraryOnly(source: string, kind: 'filter' | 'transform'): CompiledExpression {
  const parsed = celEnvironment(variables).parse(source);
  if (!parsed.check().valid) throw new Error(`${source} does not compile`);
  return { source, kind, run: (values) => parsed(values) };
}
const libraryFilter = new ExpressionRule({ name: 'filter', expression: libraryOnly(FILTER, 'filter'), logger: silentLogger });
const libraryTransform = new ExpressionRule({ name: 'transform', expression: libraryOnly(TRANSFORM, 'transform'), logger: silentLogger });

let sink = 0;
const scenarios: [string, (item: { key: string; object: KubeObject }) => void][] = [
  ['filter', ({ key, object }) => void (sink += filter.test({ object, resource: 'pods' }, key) ? 1 : 0)],
  [
    'filter + transform',
    ({ key, object }) => {
      const vars = { object, resource: 'pods' };
      if (filter.test(vars, key)) sink += transform.project(vars, key) === undefined ? 0 : 1;
    },
  ],
  [
    'filter + transform + fingerprint',
    ({ key, object }) => {
      const vars = { object, resource: 'pods' };
      if (!filter.test(vars, key)) return;
      const data = transform.project(vars, key);
      if (data !== undefined) sink += fingerprintOf(data).length;
    },
  ],
  [
    'filter + transform, library only',
    ({ key, object }) => {
      const vars = { object, resource: 'pods' };
      if (libraryFilter.test(vars, key)) sink += libraryTransform.project(vars, key) === undefined ? 0 : 1;
    },
  ],
];

const matchedBefore = filter.stats().matched;
filter.test({ object: objects[0]?.object, resource: 'pods' }, objects[0]?.key ?? '');
if (filter.stats().matched === matchedBefore) throw new Error('the filter does not match the generated objects');
process.stdout.write(`${objects.length} objects (${process.argv[2] ?? 'generated Pods and ReplicaSets'})\n`);
// Twice each, in turn: the first round warms the JIT.
for (const [name, fn] of [...scenarios, ...scenarios]) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 2000) {
    for (const item of objects) fn(item);
    n += objects.length;
  }
  const wall = ((performance.now() - started) * 1000) / n;
  const used = process.cpuUsage(cpu);
  const us = (used.user + used.system) / n;
  const load = (loadavg()[0] ?? 0).toFixed(2);
  process.stdout.write(`${name}: ${us.toFixed(2)} us of CPU per object (${Math.round(1e6 / us).toLocaleString('en-US')}/s of CPU; wall ${wall.toFixed(2)} us; load ${load})\n`);
}
const errors = [filter, transform, libraryFilter, libraryTransform].reduce((sum, rule) => sum + rule.stats().errors, 0);
if (sink === 0 || errors > 0) throw new Error('nothing evaluated, or errors');
