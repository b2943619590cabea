import { describe, expect, it } from 'vitest';
import { DeltaEngine, type DeltaResourceSettings } from '../../src/delta/delta-engine.js';
import { parsePrunePath } from '../../src/delta/prune.js';
import { LAST_APPLIED_ANNOTATION, REDACTED } from '../../src/delta/redact.js';
import type { Change, ChangeEvent, KubeObject } from '../../src/types.js';
import type { ResolvedResource } from '../../src/watch/watch-event.js';
import { canonicalJson, encodeCanonicalJson } from '../../src/payload/canonical-json.js';

const configmaps: ResolvedResource = {
  name: 'configmaps',
  ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
};
const secrets: ResolvedResource = {
  name: 'secrets',
  ref: { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
};
const namespaces: ResolvedResource = {
  name: 'namespaces',
  ref: { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
};

function settings(overrides: Partial<DeltaResourceSettings> = {}): DeltaResourceSettings {
  return {
    assetId: '',
    prunePaths: [],
    filterEvents: new Set<ChangeEvent>(),
    includeSecretData: false,
    includeManagedFields: false,
    ...overrides,
  };
}

function engine(options: {
  resources?: Record<string, DeltaResourceSettings>;
  ignore?: string[];
  delay?: number;
  clock?: { t: number };
  ownState?: (namespace: string, name: string) => boolean;
}): DeltaEngine {
  const clock = options.clock ?? { t: 1000 };
  return new DeltaEngine({
    clusterName: 'dev',
    ignoreNamespaces: new Set(options.ignore ?? []),
    delayAddEventMs: options.delay ?? 0,
    resources: new Map(Object.entries(options.resources ?? {})),
    now: () => clock.t,
    ownState: options.ownState,
  });
}

function cm(name: string, namespace = 'default', extra: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '5' }, data: { k: 'v' }, ...extra };
}

describe('DeltaEngine', () => {
  it('builds a keyed, fingerprinted, frozen change with uniqueId injected after pruning', () => {
    const delta = engine({
      resources: {
        configmaps: settings({ assetId: 'cm', prunePaths: [parsePrunePath('metadata'), parsePrunePath('data.k')] }),
      },
    });
    const input = cm('a');
    const outcome = delta.process(configmaps, { type: 'add', object: input });
    expect(outcome.kind).toBe('change');
    if (outcome.kind !== 'change') return;
    const { change } = outcome;
    expect(change).toMatchObject({
      key: 'configmaps|default/a',
      resource: 'configmaps',
      event: 'add',
      uid: 'uid-a',
      namespace: 'default',
      name: 'a',
      assetId: 'cm',
      uniqueId: 'dev-uid-a',
      observedAt: 1000,
    });
    // metadata was pruned entirely, so there is nowhere to inject uniqueId (as the original).
    expect(change.object).toEqual({ data: {} });
    expect(Object.isFrozen(change.object['data'])).toBe(true);
    // the watcher's object is not touched
    expect(input['data']).toEqual({ k: 'v' });
  });

  it('injects metadata.uniqueId and keys cluster-scoped objects by name', () => {
    const outcome = engine({}).process(namespaces, {
      type: 'update',
      object: { metadata: { name: 'team-a', uid: 'u1' } },
    });
    expect(outcome).toMatchObject({
      kind: 'change',
      change: { key: 'namespaces|team-a', object: { metadata: { name: 'team-a', uid: 'u1', uniqueId: 'dev-u1' } } },
    });
  });

  it('changes the fingerprint only when the sent object changes', () => {
    const delta = engine({ resources: { configmaps: settings({ prunePaths: [parsePrunePath('metadata.resourceVersion')] }) } });
    const fp = (object: KubeObject): string => {
      const outcome = delta.process(configmaps, { type: 'update', object });
      if (outcome.kind !== 'change') throw new Error('dropped');
      return outcome.change.fingerprint;
    };
    const base = fp(cm('a'));
    expect(fp({ ...cm('a'), metadata: { ...(cm('a')['metadata'] as object), resourceVersion: '99' } })).toBe(base);
    expect(fp(cm('a', 'default', { data: { k: 'changed' } }))).not.toBe(base);
  });

  it('sends no kind/apiVersion, so a listed and a watched copy of one object fingerprint the same', () => {
    const delta = engine({});
    const listed = delta.process(configmaps, { type: 'add', object: cm('a') });
    const watched = delta.process(configmaps, { type: 'add', object: { apiVersion: 'v1', kind: 'ConfigMap', ...cm('a') } });
    if (listed.kind !== 'change' || watched.kind !== 'change') throw new Error('dropped');
    expect(watched.change.object).not.toHaveProperty('kind');
    expect(watched.change.object).not.toHaveProperty('apiVersion');
    expect(watched.change.fingerprint).toBe(listed.change.fingerprint);
  });

  it('ignores exact namespaces and the Namespace object itself, not prefixes', () => {
    const delta = engine({ ignore: ['kube'] });
    expect(delta.process(configmaps, { type: 'add', object: cm('a', 'kube') })).toMatchObject({
      kind: 'dropped',
      reason: 'ignored-namespace',
      key: 'configmaps|kube/a',
    });
    expect(delta.process(namespaces, { type: 'add', object: { metadata: { name: 'kube', uid: 'x' } } })).toMatchObject({
      reason: 'ignored-namespace',
    });
    expect(delta.process(configmaps, { type: 'add', object: cm('a', 'kube-system') }).kind).toBe('change');
    expect(delta.process(namespaces, { type: 'add', object: { metadata: { name: 'kubeflow' } } }).kind).toBe('change');
  });

  it('drops filtered events per resource only', () => {
    const delta = engine({ resources: { configmaps: settings({ filterEvents: new Set<ChangeEvent>(['update']) }) } });
    expect(delta.process(configmaps, { type: 'update', object: cm('a') })).toMatchObject({ reason: 'filtered-event' });
    expect(delta.process(configmaps, { type: 'delete', object: cm('a') }).kind).toBe('change');
    expect(delta.process(secrets, { type: 'update', object: cm('a') }).kind).toBe('change');
  });

  it('lets a watched add through unless both add and update are filtered: an endpoint that has the object gets an update', () => {
    const only = (events: ChangeEvent[]): DeltaEngine => engine({ resources: { configmaps: settings({ filterEvents: new Set(events) }) } });
    expect(only(['add']).process(configmaps, { type: 'add', object: cm('a') }).kind).toBe('change');
    expect(only(['update']).process(configmaps, { type: 'add', object: cm('a') }).kind).toBe('change');
    expect(only(['add', 'update']).process(configmaps, { type: 'add', object: cm('a') })).toMatchObject({ reason: 'filtered-event' });
    expect(only(['delete']).process(configmaps, { type: 'delete', object: cm('a') })).toMatchObject({ reason: 'filtered-event' });
  });

  it('admit judges the event an endpoint would receive: filterEvents, ignoreNamespaces, and the add delay for adds only', () => {
    const clock = { t: 0 };
    const delta = engine({ delay: 5000, clock, ignore: ['hidden'], resources: { configmaps: settings({ filterEvents: new Set<ChangeEvent>(['delete']) }) } });
    delta.markWatchStarted('configmaps');
    const change = (event: ChangeEvent, namespace = 'default'): Change => {
      const outcome = engine({}).process(configmaps, { type: event, object: cm('a', namespace) });
      if (outcome.kind !== 'change') throw new Error('expected a change');
      return outcome.change;
    };
    clock.t = 4999;
    expect(delta.admit(configmaps, change('add'))).toBe('add-delayed');
    expect(delta.admit(configmaps, change('update'))).toBeUndefined();
    expect(delta.admit(configmaps, change('delete'))).toBe('filtered-event');
    expect(delta.admit(configmaps, change('update', 'hidden'))).toBe('ignored-namespace');
    expect(delta.admit(namespaces, { ...change('update', ''), name: 'hidden' })).toBe('ignored-namespace');
    // The delay is now the lane's call: process lets the add through.
    expect(delta.process(configmaps, { type: 'add', object: cm('a') }).kind).toBe('change');
    clock.t = 5000;
    expect(delta.admit(configmaps, change('add'))).toBeUndefined();
  });

  it('reshape prunes and redacts a delete rebuilt from the emit cache by the current settings, keeping its uniqueId', () => {
    const before = engine({}).process(configmaps, { type: 'delete', object: cm('a', 'default', { metadata: { name: 'a', namespace: 'default', uid: 'u', labels: { x: 'y' } } }) });
    if (before.kind !== 'change') throw new Error('expected a change');
    const now = engine({ resources: { configmaps: settings({ prunePaths: [parsePrunePath('metadata.labels')] }) } });
    const shaped = now.reshape(configmaps, { ...before.change, uniqueId: 'old-u' });
    expect(shaped.object).toEqual({ data: { k: 'v' }, metadata: { name: 'a', namespace: 'default', uid: 'u', uniqueId: 'old-u' } });
    expect(Object.isFrozen(shaped)).toBe(true);
  });

  it('drops ConfigMaps of its own state store (every save would be a change to send), recognised by namespace and name only', () => {
    const delta = engine({ ownState: (namespace, name) => namespace === 'ops' && name === 'watch-proxy-emit-cache-0' });
    const labels = { 'watch-proxy.io/emit-cache': 'true' };
    const shard = cm('watch-proxy-emit-cache-0', 'ops', { metadata: { name: 'watch-proxy-emit-cache-0', namespace: 'ops', uid: 'u', labels } });
    for (const type of ['add', 'update', 'delete'] as const) {
      expect(delta.process(configmaps, { type, object: shard })).toMatchObject({ kind: 'dropped', reason: 'own-state' });
    }
    // The label is anyone's to set: a user's ConfigMap carrying it, elsewhere or under another name, is sent.
    const impostor = cm('x', 'ops', { metadata: { name: 'x', namespace: 'ops', uid: 'v', labels } });
    expect(delta.process(configmaps, { type: 'add', object: impostor }).kind).toBe('change');
    const elsewhere = cm('watch-proxy-emit-cache-0', 'apps', { metadata: { name: 'watch-proxy-emit-cache-0', namespace: 'apps', uid: 'w', labels } });
    expect(delta.process(configmaps, { type: 'delete', object: elsewhere }).kind).toBe('change');
    // Only ConfigMaps are the store's shards: another kind with that name is the user's.
    expect(delta.process(secrets, { type: 'add', object: shard }).kind).toBe('change');
    // Without a store in use, nothing is own state, whatever its labels.
    expect(engine({}).process(configmaps, { type: 'add', object: shard }).kind).toBe('change');
  });

  it('prepare does the projection ahead and process uses it once, for that resource only', () => {
    const delta = engine({});
    const source = cm('a') as Record<string, unknown>;
    const fresh = engine({}).process(configmaps, { type: 'add', object: cm('a') });
    delta.prepare(configmaps, source);
    // A test-only mutation shows which work process used: prepare's snapshot, not a new projection.
    (source['data'] as Record<string, string>)['k'] = 'changed';
    const first = delta.process(configmaps, { type: 'add', object: source });
    expect(first).toStrictEqual(fresh);
    // Taken once: the next event of the same object is projected anew.
    expect(delta.process(configmaps, { type: 'update', object: source })).toMatchObject({ change: { object: { data: { k: 'changed' } } } });
    // Prepared for another resource name: not used.
    const other = cm('b') as Record<string, unknown>;
    delta.prepare(secrets, other);
    (other['data'] as Record<string, string>)['k'] = 'changed';
    expect(delta.process(configmaps, { type: 'add', object: other })).toMatchObject({ change: { object: { data: { k: 'changed' } } } });
  });

  it('prepare skips what process drops, and a dropped event forgets prepared work', () => {
    const delta = engine({ ignore: ['skip'], resources: { configmaps: settings({ filterEvents: new Set<ChangeEvent>(['add', 'update']) }) } });
    expect(() => delta.prepare(configmaps, {})).not.toThrow();
    delta.prepare(configmaps, cm('x', 'skip'));
    const source = cm('a') as Record<string, unknown>;
    delta.prepare(configmaps, source);
    expect(delta.process(configmaps, { type: 'add', object: source })).toMatchObject({ reason: 'filtered-event' });
    (source['data'] as Record<string, string>)['k'] = 'changed';
    expect(delta.process(configmaps, { type: 'delete', object: source })).toMatchObject({ change: { object: { data: { k: 'changed' } } } });
  });

  it('drops objects without a name instead of crashing', () => {
    const delta = engine({});
    expect(delta.process(configmaps, { type: 'delete', object: {} })).toMatchObject({ reason: 'invalid-object' });
    expect(delta.process(configmaps, { type: 'delete', object: { metadata: 'x' } })).toMatchObject({
      reason: 'invalid-object',
    });
  });

  it('redacts Secret values, the last-applied annotation and managedFields by default', () => {
    const secret: KubeObject = {
      metadata: {
        name: 's',
        namespace: 'default',
        uid: 'u',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"data":{"password":"aHVudGVyMg=="}}', other: 'kept' },
      },
      data: { password: 'aHVudGVyMg==' },
      stringData: { token: 'plain' },
      type: 'Opaque',
    };
    const outcome = engine({}).process(secrets, { type: 'add', object: secret });
    if (outcome.kind !== 'change') throw new Error('dropped');
    const text = JSON.stringify(outcome.change.object);
    expect(text).not.toContain('aHVudGVyMg');
    expect(text).not.toContain('plain');
    expect(outcome.change.object).toMatchObject({
      data: { password: REDACTED },
      stringData: { token: REDACTED },
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: REDACTED, other: 'kept' } },
    });
    expect(outcome.change.object['metadata']).not.toHaveProperty('managedFields');

    const optIn = engine({ resources: { secrets: settings({ includeSecretData: true, includeManagedFields: true }) } });
    const open = optIn.process(secrets, { type: 'add', object: secret });
    if (open.kind !== 'change') throw new Error('dropped');
    expect(open.change.object).toMatchObject({ data: { password: 'aHVudGVyMg==' } });
    expect(open.change.object['metadata']).toHaveProperty('managedFields');
  });

  it('keeps data of non-Secret resources and carries synthesized deletes', () => {
    const outcome = engine({}).process(configmaps, { type: 'delete', object: cm('a'), synthesized: 'relist' });
    expect(outcome).toMatchObject({ change: { object: { data: { k: 'v' } }, synthesized: 'relist', event: 'delete' } });
  });
});

describe('DeltaEngine on deeply nested objects', () => {
  // JSON.parse builds any depth (as the reflector does); JSON.stringify would overflow on the deep ones.
  const nested = (levels: number, leaf: string): unknown => JSON.parse(`${'{"a":['.repeat(levels)}"${leaf}"${']}'.repeat(levels)}`);

  it.each([6_000, 10_000])('counts a %i-level object as too-deep with its key, on prepare and on process, and never throws', (levels) => {
    const delta = engine({});
    const deep = cm('deep', 'default', { spec: nested(levels / 2, 'x') });
    expect(() => delta.prepare(configmaps, deep)).not.toThrow();
    for (const type of ['add', 'update', 'delete'] as const) {
      expect(delta.process(configmaps, { type, object: deep })).toEqual({ kind: 'dropped', reason: 'too-deep', key: 'configmaps|default/deep' });
    }
  });

  it('delivers an object at the bound (1,000 levels) with the canonical encoder\'s bytes', () => {
    const delta = engine({});
    // root (1) > spec (2) > 499 x (map > array) (3..1000) > the leaf string
    const object = cm('edge', 'default', { spec: nested(499, 'x') });
    const outcome = delta.process(configmaps, { type: 'add', object });
    expect(outcome.kind).toBe('change');
    const text = canonicalJson((outcome as { change: Change }).change.object);
    expect(text).toBe(encodeCanonicalJson((outcome as { change: Change }).change.object));
    expect(text).toContain(`"spec":${'{"a":['.repeat(499)}"x"${']}'.repeat(499)}`);
    const deeper = cm('over', 'default', { spec: nested(500, 'x') });
    expect(delta.process(configmaps, { type: 'add', object: deeper })).toMatchObject({ kind: 'dropped', reason: 'too-deep' });
  });

  it('keeps a deep subtree that a prune path removes out of the count', () => {
    const delta = engine({ resources: { configmaps: settings({ prunePaths: [parsePrunePath('spec')] }) } });
    const outcome = delta.process(configmaps, { type: 'add', object: cm('pruned', 'default', { spec: nested(5_000, 'x') }) });
    expect(outcome.kind).toBe('change');
  });
});
