import { describe, expect, it } from 'vitest';
import { celEnvironment, type ExpressionVariable } from '../../src/expression/cel-environment.js';
import { compileExpression } from '../../src/expression/compile-expression.js';
import { UNDECIDED, fastPath } from '../../src/expression/fast-path.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';

const VARIABLES: readonly ExpressionVariable[] = ['object', 'oldObject', 'resource'];

const pod = deepFreeze({
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'bench-a',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web', team: 'x' },
    annotations: {},
  },
  spec: { type: 'LoadBalancer', paused: false, replicas: 3, containers: [{ name: 'app', ports: [{ containerPort: 80 }] }] },
  status: { phase: 'Running', podIP: '10.244.0.7', loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
});

// Everything the fast path must leave to the library: missing parts, nulls, other types, keys that collide with
// Object.prototype, a Map, a null-prototype object, an unfrozen object.
const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { app: 'web' });
const OBJECTS: Record<string, unknown> = {
  pod,
  unfrozen: JSON.parse(JSON.stringify(pod)) as unknown,
  bare: deepFreeze({ metadata: { name: 'b', namespace: 'default' } }),
  nulls: deepFreeze({ metadata: { name: null, namespace: 'bench-b', labels: null }, spec: null, status: null }),
  wrongTypes: deepFreeze({
    metadata: { name: 7, namespace: ['bench'], labels: 'app=web' },
    spec: { type: 1, paused: 'no', containers: { name: 'app' } },
    status: { phase: true, podIP: 10, loadBalancer: { ingress: [] } },
  }),
  prototypeKeys: JSON.parse(
    '{"metadata": {"name": "c", "namespace": "bench-c", "labels": {"constructor": "x", "__proto__": "y", "app": "z"}}, "constructor": "k", "spec": {"toString": 1}}',
  ) as unknown,
  inheritedOnly: deepFreeze({ metadata: { name: 'd', namespace: 'bench-d', labels: {} } }),
  mapValued: { metadata: { name: 'e', namespace: 'bench-e', labels: new Map([['app', 'web']]) } },
  nullPrototype: { metadata: { name: 'f', namespace: 'bench-f', labels: nullProto } },
  numbers: JSON.parse('{"metadata": {"name": "g", "namespace": "g"}, "spec": {"replicas": 2.5}, "status": {"failed": -0}}') as unknown,
  // Beyond 2^53: the JSON number is not the int literal it reads as.
  bigNumbers: JSON.parse('{"metadata": {"name": "h", "namespace": "h"}, "spec": {"replicas": 9007199254740993}, "status": {"failed": 2}}') as unknown,
  emptyStrings: deepFreeze({ metadata: { name: '', namespace: '', labels: { app: '' } }, spec: { type: '' }, status: { podIP: '' } }),
  notAMap: 'pod',
  missing: undefined,
};

const RESOURCES: readonly unknown[] = ['pods', undefined, 3];

// Every expression here is in the fast path's shapes: `fastPath` must compile each.
const SUPPORTED = [
  'object.metadata.name',
  'object.metadata.labels.app',
  'object.metadata.labels["app.kubernetes.io/name"]',
  'object["metadata"]["name"]',
  'object.spec.containers[0].name',
  'object.spec.containers[0].ports[0].containerPort',
  'object.spec.containers[3].name',
  'object.status.loadBalancer.ingress[0].ip',
  'object.spec.toString',
  'object.metadata.labels.constructor',
  'object.metadata.labels.__proto__',
  'object.constructor',
  'resource',
  'object.?status.?podIP.orValue("")',
  'object.?metadata.?labels.?app.orValue("none")',
  'object.metadata.?labels.?team.orValue("none")',
  'object.?status.?podIP.orValue(object.metadata.name)',
  'object.?spec.?toString.orValue(1)',
  'has(object.metadata.labels.app)',
  'has(object.status)',
  'has(object.status.podIP)',
  'has(object.metadata.labels.constructor)',
  'has(object.spec.toString)',
  'object.spec.type == "LoadBalancer"',
  'object.spec.type != "LoadBalancer"',
  'object.metadata.labels.app == object.metadata.name',
  'object.spec.paused == false',
  'object.spec.paused != true',
  'object.spec.replicas == 3',
  'object.spec.replicas == 3.0',
  'object.spec.replicas == 9007199254740993',
  'object.spec.replicas > 9007199254740992',
  '3 == object.spec.replicas',
  'object.spec.replicas != 3',
  'object.spec.replicas == object.spec.replicas',
  'object.spec.replicas > 2',
  'object.spec.replicas >= 3',
  'object.spec.replicas < 3.5',
  'object.spec.replicas < 3',
  'object.spec.replicas > 3',
  'object.metadata.name <= object.metadata.name',
  'object.metadata.name >= object.metadata.name',
  '2 <= object.spec.replicas',
  'object.?status.?failed.orValue(0) > 0',
  'object.metadata.name < "x"',
  'object.metadata.name >= object.metadata.namespace',
  'object.spec.paused < true',
  '1 < 2 && 2.5 > 2',
  'object.metadata.name == null',
  'object.metadata.namespace.startsWith("bench") && has(object.metadata.labels.app)',
  'object.metadata.name.endsWith("-1") || object.spec.type == "ClusterIP"',
  'object.metadata.name.contains("eb")',
  'object.missing.x == "a" && false',
  'false && object.missing.x == "a"',
  'object.missing.x == "a" || true',
  'object.spec.paused && true',
  '!has(object.metadata.labels.app)',
  '!(object.spec.type == "ClusterIP")',
  '!object.spec.paused',
  'has(object.status) ? object.status.phase : "none"',
  'object.spec.paused ? "paused" : resource',
  '"app" in object.metadata.labels',
  'object.metadata.name in object.metadata.labels',
  '"constructor" in object.metadata.labels',
  '"toString" in object.metadata.labels',
  '"x" in object.spec.containers',
  '{"name": object.metadata.name, "namespace": object.metadata.namespace, "app": object.metadata.labels.app, "ip": object.?status.?podIP.orValue(""), "resource": resource}',
  '{"name": object.metadata.name, "n": 1, "d": 1.5, "u": 2u, "list": [object.metadata.name, 2, true, null], "nested": {"r": resource}}',
  '{"containers": object.spec.containers, "labels": object.metadata.labels}',
  '{"a": object.metadata.name}.a',
  '[object.metadata.name, "x"][1]',
  'object.status.phase != oldObject.status.phase',
  'has(oldObject.status) && object.status.podIP != oldObject.status.podIP',
];

// Outside the shapes: left to the library whole.
const UNSUPPORTED = [
  'object.spec.replicas + 1 > 1',
  'object.spec.containers.exists(c, c.name == "app")',
  'size(object.metadata.name) > 0',
  'object.?status.?podIP',
  'object.?status.podIP.orValue("")',
  '{"ip": object.?status.?podIP}',
  '{"a": 1, "a": 2}',
  '{"__proto__": object.metadata.name}',
  'object.metadata.name.matches("^web")',
  'has(object.?status.podIP)',
  'object.spec.containers[object.spec.replicas]',
];

interface Outcome {
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    const e = error as Error;
    return { error: { name: e.name, message: e.message } };
  }
}

function variableSets(): Record<string, unknown>[] {
  const sets: Record<string, unknown>[] = [];
  for (const object of Object.values(OBJECTS)) {
    for (const resource of RESOURCES) sets.push({ object, oldObject: OBJECTS['pod'], resource });
    sets.push({ object: OBJECTS['pod'], oldObject: object, resource: 'pods' });
  }
  return sets;
}

describe('fastPath', () => {
  it.each(SUPPORTED)('gives what the library gives, or leaves it to the library: %s', (source) => {
    const parsed = celEnvironment(VARIABLES).parse(source);
    const checked = parsed.check();
    expect(checked.valid).toBe(true);
    const fast = fastPath(parsed.ast);
    expect(fast).toBeTypeOf('function');
    // compileExpression takes bools and maps only; the others are parts of those, checked directly.
    const kind = checked.type === 'bool' ? 'updateFilter' : checked.type?.startsWith('map') === true || checked.type === 'dyn' ? 'transform' : undefined;
    const compiled = kind === undefined ? undefined : compileExpression(source, kind, VARIABLES);
    for (const variables of variableSets()) {
      const library = outcome(() => parsed(variables));
      const direct = outcome(() => fast?.(variables));
      // The fast path never throws, and when it decides it agrees with the library (value and type: a bigint
      // stays a bigint, a map stays a plain object).
      expect(direct.error).toBeUndefined();
      if (direct.value !== UNDECIDED) {
        expect(library.error, JSON.stringify(library.error)).toBeUndefined();
        expect(direct.value).toStrictEqual(library.value);
      }
      // What the pipeline runs: the same outcome, error included.
      if (compiled !== undefined) expect(outcome(() => compiled.run(variables))).toStrictEqual(library);
    }
  });

  it.each(UNSUPPORTED)('leaves other shapes to the library: %s', (source) => {
    const parsed = celEnvironment(VARIABLES).parse(source);
    expect(parsed.check().valid).toBe(true);
    expect(fastPath(parsed.ast)).toBeUndefined();
  });

  it('decides the common filters and projections on a plain object itself', () => {
    const decided = [
      'object.metadata.namespace.startsWith("bench") && has(object.metadata.labels.app)',
      'object.spec.type == "LoadBalancer"',
      '"team" in object.metadata.labels',
      'object.?status.?failed.orValue(0) > 0',
      'object.spec.replicas >= 3',
      '{"name": object.metadata.name, "namespace": object.metadata.namespace, "app": object.metadata.labels.app, "ip": object.?status.?podIP.orValue(""), "resource": resource}',
      '{"ip": object.status.loadBalancer.ingress[0].ip, "missing": object.?spec.?clusterIP.orValue(null)}',
      'object.status.phase != oldObject.status.phase',
    ];
    const variables = { object: pod, oldObject: deepFreeze({ status: { phase: 'Pending' } }), resource: 'pods' };
    for (const source of decided) {
      const parsed = celEnvironment(VARIABLES).parse(source);
      parsed.check();
      const value = fastPath(parsed.ast)?.(variables);
      expect(value, source).not.toBe(UNDECIDED);
      expect(value).toStrictEqual(parsed(variables));
    }
  });
});
