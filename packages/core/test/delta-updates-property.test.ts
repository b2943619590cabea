import fc from 'fast-check';
import { applyPatch, type Operation } from 'rfc6902';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/payload/canonical-json.js';
import { encodeWatchProxyPayload } from '../src/payload/watch-proxy-payload.js';
import { delivered, type SendOutcome, type Sink } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import type { Batch, KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';

// For random objects and random edits, a receiver that applies the patches of a `deltaUpdates` sink, in order, to
// the first whole state it got ends with exactly the states a sink without it delivered whole: after prune,
// redaction and a transform. Both receivers read the wire (the encoded body, parsed), as a real one does.

interface WireItem {
  readonly uniqueId: string;
  readonly event: 'add' | 'update' | 'delete';
  readonly data?: unknown;
  readonly patch?: Operation[];
  readonly baseFingerprint?: string;
  readonly fingerprint?: string;
}

/** A receiver behind a sink: keeps uniqueId -> object from the wire, applying patches after checking their base. */
class WireReceiver implements Sink {
  readonly inventory = new Map<string, { object: unknown; fingerprint: string | undefined }>();
  patches = 0;
  constructor(readonly name: string) {}

  send(batch: Batch): Promise<SendOutcome> {
    const body = JSON.parse(encodeWatchProxyPayload(batch.items, null)) as { data: WireItem[] };
    for (const item of body.data) {
      if (item.event === 'delete') {
        this.inventory.delete(item.uniqueId);
      } else if (item.patch !== undefined) {
        const held = this.inventory.get(item.uniqueId);
        if (held === undefined || held.fingerprint !== item.baseFingerprint) throw new Error(`no base for ${item.uniqueId}`);
        const object = structuredClone(held.object);
        const results = applyPatch(object, item.patch);
        if (results.some((r) => r !== null)) throw new Error(`patch failed: ${JSON.stringify(results)}`);
        this.inventory.set(item.uniqueId, { object, fingerprint: item.fingerprint });
        this.patches++;
        patchesApplied++;
      } else {
        this.inventory.set(item.uniqueId, { object: item.data, fingerprint: item.fingerprint });
      }
    }
    return Promise.resolve(delivered());
  }
}

const NAMES = ['a', 'b'];
/** Patches applied across all runs: the property must be about patches, not only whole objects. */
let patchesApplied = 0;

const specKey = fc.constantFrom('replicas', 'ports', 'selector', 'drop', 'x');

/** One edit of one object (created by its first edit): a field of spec, a data value, a label, or the list. */
type Edit =
  | { readonly field: 'spec'; readonly key: string; readonly value: unknown }
  | { readonly field: 'data'; readonly key: string; readonly value: string }
  | { readonly field: 'labels'; readonly key: string; readonly value: string | undefined }
  | { readonly field: 'list'; readonly value: number[] };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ field: fc.constant('spec' as const), key: specKey, value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ field: fc.constant('data' as const), key: fc.constantFrom('user', 'password', 'token'), value: fc.string({ maxLength: 12 }) }),
  fc.record({ field: fc.constant('labels' as const), key: fc.constantFrom('app', 'tier', 'k8s.io/name'), value: fc.option(fc.constantFrom('web', 'db', '')) }).map(
    (e) => ({ ...e, value: e.value ?? undefined }),
  ),
  fc.record({ field: fc.constant('list' as const), value: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }) }),
);

type Step =
  | { readonly op: 'put'; readonly name: string; readonly edit: Edit }
  | { readonly op: 'delete'; readonly name: string }
  | { readonly op: 'flush' }
  | { readonly op: 'relist' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), name: fc.constantFrom(...NAMES), edit }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 4, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'relist' as const }) },
);

/** The editable part of an object. */
interface Content {
  spec: Record<string, unknown>;
  data: Record<string, string>;
  labels: Record<string, string>;
  list: number[];
}

function applyEdit(content: Content, e: Edit): Content {
  const next = structuredClone(content);
  if (e.field === 'spec') next.spec[e.key] = e.value;
  else if (e.field === 'data') next.data[e.key] = e.value;
  else if (e.field === 'labels') {
    if (e.value === undefined) delete next.labels[e.key];
    else next.labels[e.key] = e.value;
  } else next.list = e.value;
  return next;
}

function secret(name: string, c: Content, version: number, generation: number): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}-${generation}`,
      resourceVersion: String(version),
      labels: c.labels,
      // Ballast, the same in every state: a one-field edit then makes a patch much smaller than the object.
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x'.repeat(300), uid: 'owner' }],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(c.data) },
    },
    data: c.data,
    spec: { ...c.spec, list: c.list },
  };
}

async function run(steps: readonly Step[]): Promise<void> {
  const source = new FakeSource({ secrets: [] });
  const full = new WireReceiver('full');
  const delta = new WireReceiver('delta');
  const fullT = new WireReceiver('full-t');
  const deltaT = new WireReceiver('delta-t');
  const transform = '{"name": object.metadata.name, "labels": object.metadata.labels, "spec": object.spec}';
  const proxy = new WatchProxy({
    resources: [{ name: 'secrets', pruneFields: ['metadata.resourceVersion', 'spec.drop'] }],
    watchSource: source.factory,
    clusterName: 'c',
    sinks: [
      { sink: full },
      { sink: delta, deltaUpdates: true },
      { sink: fullT, transform },
      { sink: deltaT, transform, deltaUpdates: true },
    ],
  });
  await proxy.start();
  const live = new Map<string, { generation: number; content: Content }>();
  let version = 0;
  let generation = 0;
  for (const s of steps) {
    if (s.op === 'put') {
      const held = live.get(s.name);
      const content = applyEdit(held?.content ?? { spec: {}, data: {}, labels: {}, list: [] }, s.edit);
      const gen = held?.generation ?? ++generation;
      live.set(s.name, { generation: gen, content });
      const object = secret(s.name, content, ++version, gen);
      if (held !== undefined) source.update('secrets', object);
      else source.add('secrets', object);
    } else if (s.op === 'delete') {
      const held = live.get(s.name);
      if (held === undefined) continue;
      live.delete(s.name);
      source.remove('secrets', { metadata: { name: s.name, namespace: 'default', uid: `uid-${s.name}-${held.generation}` } });
    } else if (s.op === 'relist') {
      source.relist('secrets');
    } else {
      await proxy.flush();
    }
  }
  await proxy.flush();
  await proxy.shutdown();
  for (const [withDelta, whole] of [
    [delta, full],
    [deltaT, fullT],
  ] as const) {
    expect(new Map([...withDelta.inventory].map(([id, held]) => [id, held.object]))).toEqual(new Map([...whole.inventory].map(([id, held]) => [id, held.object])));
    // Every state held is the one its fingerprint names: the next patch's base check means something.
    for (const held of withDelta.inventory.values()) expect(held.fingerprint).toBe(fingerprintOf(held.object));
  }
}

describe('deltaUpdates: patches applied in order give the states full updates deliver', () => {
  it('holds for random objects and edits, with prune, redaction and a transform', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), run), { numRuns: 60 });
    expect(patchesApplied).toBeGreaterThan(100);
  });

  it('sends patches at all (a one-field edit of a large object is a patch)', async () => {
    const source = new FakeSource({ secrets: [] });
    const delta = new WireReceiver('delta');
    const proxy = new WatchProxy({ resources: ['secrets'], watchSource: source.factory, sinks: [{ sink: delta, deltaUpdates: true }] });
    await proxy.start();
    const content: Content = { spec: { big: 'x'.repeat(500) }, data: {}, labels: {}, list: [] };
    source.add('secrets', secret('a', content, 1, 1));
    await proxy.flush();
    source.update('secrets', secret('a', { ...content, list: [1] }, 2, 1));
    await proxy.flush();
    await proxy.shutdown();
    expect(delta.patches).toBe(1);
  });
});
