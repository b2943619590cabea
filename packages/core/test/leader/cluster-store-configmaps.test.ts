import { describe, expect, it } from 'vitest';
import { ConfigMapCacheStore } from '../../src/cache/cluster-store-configmaps.js';
import { IntentLogFullError } from '../../src/cache/cluster-store.js';
import type { EmitCacheEntry } from '../../src/cache/emit-cache.js';
import { FakeConfigMapApi as FakeApi } from './fake-configmap-api.js';

function entry(name: string, state = `{"n":"${name}"}`): [string, EmitCacheEntry] {
  return [`configmaps|ns/${name}`, { fingerprint: `f-${state}`, resource: 'configmaps', uid: `u-${name}`, namespace: 'ns', name, assetId: '', uniqueId: `-u-${name}`, deliveredAt: 5, state }];
}

describe('ConfigMapCacheStore', () => {
  it('round-trips entries through sharded, labelled ConfigMaps, creating them on first save', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', name: 'lease', shards: 4 });
    expect(await store.load('sink')).toBeUndefined();
    const entries = Array.from({ length: 50 }, (_v, i) => entry(`o${i}`));
    await store.save('sink', entries, () => true);
    expect(api.objects.size).toBe(4);
    const [first] = api.objects.values();
    expect(first?.metadata.labels['watch-proxy.io/emit-cache']).toBe('true');
    // Fixed names, listable in RBAC resourceNames; the endpoint's name (a URL) appears nowhere, only its hash.
    expect([...api.objects.keys()].sort()).toEqual([0, 1, 2, 3].map((n) => `/api/v1/namespaces/wp/configmaps/lease-emit-cache-${String(n)}`));
    expect(store.shardNames()).toEqual(['lease-emit-cache-0', 'lease-emit-cache-1', 'lease-emit-cache-2', 'lease-emit-cache-3']);
    expect(JSON.stringify([...api.objects.values()])).not.toContain('"sink');
    const loaded = await new ConfigMapCacheStore({ client: api, namespace: 'wp', name: 'lease', shards: 4 }).load('sink');
    expect(loaded).toEqual(new Map(entries));
  });

  it('rewrites only the shards whose entries changed', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8 });
    const entries = Array.from({ length: 40 }, (_v, i) => entry(`o${i}`));
    await store.save('sink', entries, () => true);
    api.calls.length = 0;
    await store.save('sink', entries, () => true);
    expect(api.calls).toEqual([]);
    await store.save('sink', [...entries.slice(1), entry('o0', '{"changed":1}')], () => true);
    expect(api.calls.filter((c) => c.startsWith('PUT'))).toHaveLength(1);
    // A delivered delete (the entry is gone) rewrites its shard too, and the result loads back exactly.
    api.calls.length = 0;
    const remaining = [...entries.slice(2), entry('o0', '{"changed":1}')];
    await store.save('sink', remaining, () => true);
    expect(api.calls.filter((c) => c.startsWith('PUT'))).toHaveLength(1);
    expect(await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8 }).load('sink')).toEqual(new Map(remaining));
    // A store that loaded the same content writes nothing.
    const reloaded = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8 });
    await reloaded.load('sink');
    api.calls.length = 0;
    await reloaded.save('sink', remaining, () => true);
    expect(api.calls).toEqual([]);
  });

  it('never quotes a malformed shard line in its error (entries hold object states, Secret data included when asked for)', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 1 });
    await store.save('sink', [entry('a')], () => true);
    const [path] = api.objects.keys();
    const text = '["configmaps|ns/a","f","secrets","u","ns","a","","",1,{"data":{"password":hunter2-secret}}]';
    const gz = (await import('node:zlib')).gzipSync(Buffer.from(text, 'utf8')).toString('base64');
    const stored = api.objects.get(path as string);
    if (stored === undefined) throw new Error('no shard');
    const [dataKey] = Object.keys(stored.binaryData);
    stored.binaryData[dataKey as string] = gz;
    const error = await store.load('sink').then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/malformed entry/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('writes nothing once mayWrite reads false (a leader that stood down)', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 4 });
    await store.save('sink', Array.from({ length: 40 }, (_v, i) => entry(`o${i}`)), () => api.calls.filter((c) => c.startsWith('POST')).length < 2);
    expect(api.calls.filter((c) => c.startsWith('POST'))).toHaveLength(2);
    expect(api.objects.size).toBe(2);
  });

  it('never fails for lack of room: a part that does not fit is kept without object states, then with fewer entries, and usage() says so', async () => {
    const api = new FakeApi();
    const random = (n: number): string => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join('');
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 1, maxShardBytes: 3000 });
    const [bigKey, bigEntry] = entry('big', JSON.stringify({ blob: random(400) }));
    const big: [string, EmitCacheEntry] = [bigKey, { ...bigEntry, fingerprint: 'f-big' }];
    const small = Array.from({ length: 3 }, (_v, i) => entry(`s${i}`));
    await store.save('sink', [big, ...small], () => true);
    const loaded = await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 1 }).load('sink');
    // Every entry is still known (its delete will be sent), the big one with a minimal object instead of its state.
    expect([...(loaded?.keys() ?? [])].sort()).toEqual([big[0], ...small.map((e) => e[0])].sort());
    expect(JSON.parse(loaded?.get(big[0])?.state ?? '{}')).toEqual({ metadata: { name: 'big', namespace: 'ns', uid: 'u-big' } });
    expect(loaded?.get(big[0])?.fingerprint).toBe(big[1].fingerprint);
    expect(store.usage()).toEqual([{ sink: 'sink', entries: 4, withoutState: 4, notStored: 0 }]);

    // Far over: as many entries as fit are kept (newest deliveries first), the rest counted as not stored.
    const tiny = new ConfigMapCacheStore({ client: api, namespace: 'wp', name: 'tiny', shards: 1, maxShardBytes: 600 });
    const many = Array.from({ length: 200 }, (_v, i): [string, EmitCacheEntry] => {
      const [key, e] = entry(`m${i}`, JSON.stringify({ blob: random(5) }));
      return [key, { ...e, fingerprint: random(2), deliveredAt: i }];
    });
    await expect(tiny.save('sink', many, () => true)).resolves.toBeUndefined();
    const [usage] = tiny.usage();
    expect(usage?.notStored).toBeGreaterThan(0);
    expect(usage?.withoutState).toBeGreaterThan(0);
    expect((usage?.withoutState ?? 0) + (usage?.notStored ?? 0)).toBe(200);
    const kept = await new ConfigMapCacheStore({ client: api, namespace: 'wp', name: 'tiny', shards: 1 }).load('sink');
    expect(kept?.size).toBe(usage?.withoutState);
  });

  it('sinks share the fixed ConfigMaps, each in its own part: one sink saving keeps the others', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
    await store.load('a');
    await store.load('b');
    const forA = Array.from({ length: 10 }, (_v, i) => entry(`a${i}`));
    const forB = Array.from({ length: 10 }, (_v, i) => entry(`b${i}`));
    await Promise.all([store.save('a', forA, () => true), store.save('b', forB, () => true)]);
    await store.save('a', forA.slice(1), () => true);
    expect(api.objects.size).toBe(2);
    const fresh = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
    expect(await fresh.load('a')).toEqual(new Map(forA.slice(1)));
    expect(await fresh.load('b')).toEqual(new Map(forB));
    // A store that never loaded a shard reads it before writing it: another sink's part survives.
    const late = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
    await late.save('c', [entry('c0')], () => true);
    expect(await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 }).load('b')).toEqual(new Map(forB));
  });

  it('owns only its own ConfigMaps: its namespace, shard names and intent log', () => {
    const store = new ConfigMapCacheStore({ client: new FakeApi(), namespace: 'wp', name: 'lease', shards: 8 });
    expect(store.owns('wp', 'lease-emit-cache-0')).toBe(true);
    expect(store.owns('wp', 'lease-emit-cache-7')).toBe(true);
    expect(store.owns('wp', 'lease-emit-cache-intents')).toBe(true);
    expect(store.owns('other', 'lease-emit-cache-intents')).toBe(false);
    expect(store.configMapNames()).toEqual([...store.shardNames(), 'lease-emit-cache-intents']);
    expect(store.owns('wp', 'lease-emit-cache-8')).toBe(false);
    expect(store.owns('wp', 'lease-emit-cache-01')).toBe(false);
    expect(store.owns('other', 'lease-emit-cache-0')).toBe(false);
    expect(store.owns('wp', 'lease')).toBe(false);
    expect(store.owns('wp', 'watch-proxy-emit-cache-0')).toBe(false);
  });

  describe('intent log', () => {
    const INTENTS = '/api/v1/namespaces/wp/configmaps/watch-proxy-emit-cache-intents';
    const unconfirmed = ([key, e]: [string, EmitCacheEntry]): [string, EmitCacheEntry] => [key, { ...e, fingerprint: '' }];

    it('costs one write per call that carries an object the shards do not hold, none for known ones or repeats', async () => {
      const api = new FakeApi();
      const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 4 });
      const known = Array.from({ length: 10 }, (_v, i) => entry(`k${i}`));
      await store.load('sink');
      await store.save('sink', known, () => true);
      // Updates of objects the shards hold (same uid, any state): nothing to record.
      await store.intend('sink', known.map(([key, e]) => [key, { ...e, fingerprint: 'new', state: '{"v":2}' }]), () => true);
      expect(api.writes.get(INTENTS)).toBeUndefined();
      // A batch with two new objects among known ones: one write.
      const fresh = [entry('n0'), entry('n1')];
      await store.intend('sink', [...known.slice(0, 3), ...fresh], () => true);
      expect(api.writes.get(INTENTS)).toBe(1);
      // The same objects again (a retry, or their next update before a save): nothing more.
      await store.intend('sink', fresh, () => true);
      expect(api.writes.get(INTENTS)).toBe(1);
      // A new incarnation of a known name is new.
      const [k0key, k0] = known[0] as [string, EmitCacheEntry];
      await store.intend('sink', [[k0key, { ...k0, uid: 'u-k0-again' }]], () => true);
      expect(api.writes.get(INTENTS)).toBe(2);
      // Not the leader: nothing is written.
      await store.intend('sink', [entry('n2')], () => false);
      expect(api.writes.get(INTENTS)).toBe(2);
    });

    it('a process started after a crash loads the intents the shards do not hold, unconfirmed, with their state', async () => {
      const api = new FakeApi();
      const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
      const known = [entry('a'), entry('b')];
      await store.load('sink');
      await store.save('sink', known, () => true);
      const fresh = [entry('c', '{"metadata":{"name":"c"},"data":{"k":"c"}}'), entry('d')];
      await store.intend('sink', fresh, () => true);
      // Another endpoint's intents share the ConfigMap and survive.
      await store.intend('other', [entry('e')], () => true);
      const next = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
      expect(await next.load('sink')).toEqual(new Map([...known, ...fresh.map(unconfirmed)]));
      expect(await next.load('other')).toEqual(new Map([entry('e')].map(unconfirmed)));
      // Only intents: still a stored state (the receiver may hold those objects).
      const onlyIntents = new FakeApi();
      const first = new ConfigMapCacheStore({ client: onlyIntents, namespace: 'wp', shards: 2 });
      await first.intend('sink', [entry('x')], () => true);
      expect(await new ConfigMapCacheStore({ client: onlyIntents, namespace: 'wp', shards: 2 }).load('sink')).toEqual(new Map([entry('x')].map(unconfirmed)));
    });

    it('a save drops what the shards now hold, a delivered delete what it was for, and the log ends empty', async () => {
      const api = new FakeApi();
      const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 });
      await store.load('sink');
      const [a, b, c] = [entry('a'), entry('b'), entry('c')];
      await store.intend('sink', [a, b, c], () => true);
      expect(api.writes.get(INTENTS)).toBe(1);
      // "a" delivered and saved; "b" delivered and deleted again (its delete delivered); "c" still in flight.
      store.settle('sink', b[0], b[1].uid);
      await store.save('sink', [a], () => true);
      expect(api.writes.get(INTENTS)).toBe(2);
      expect(await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2 }).load('sink')).toEqual(new Map([a, unconfirmed(c)]));
      await store.save('sink', [a, c], () => true);
      expect(api.writes.get(INTENTS)).toBe(3);
      expect(api.objects.get(INTENTS)?.binaryData).toEqual({});
      // Nothing left to drop: a save writes no intent log.
      await store.save('sink', [c], () => true);
      expect(api.writes.get(INTENTS)).toBe(3);
    });

    it('a log short of room keeps intents without their states, then says what it could not record', async () => {
      const api = new FakeApi();
      // The intent log is one ConfigMap, the shards are 8 of the same size: they hold what it cannot.
      const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8, maxShardBytes: 1200 });
      const random = (n: number): string => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join('');
      const big = entry('big', JSON.stringify({ blob: random(200) }));
      await store.intend('sink', [big], () => true);
      const loaded = await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8 }).load('sink');
      expect(JSON.parse(loaded?.get(big[0])?.state ?? '{}')).toEqual({ metadata: { name: 'big', namespace: 'ns', uid: 'u-big' } });
      const many = Array.from({ length: 100 }, (_v, i) => entry(`m${i}-${random(1)}`));
      await expect(store.intend('sink', many, () => true)).rejects.toThrow(IntentLogFullError);
      // What fit is written; once a save holds the rest, the log has room again.
      await store.save('sink', many, () => true);
      expect(store.usage()).toEqual([{ sink: 'sink', entries: 100, withoutState: 0, notStored: 0 }]);
      await expect(store.intend('sink', [], () => true)).resolves.toBeUndefined();
      const after = await new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 8 }).load('sink');
      expect(after?.size).toBe(101);
      expect(after?.get(big[0])?.fingerprint).toBe('');
      expect([...many].every(([key, e]) => after?.get(key)?.fingerprint === e.fingerprint)).toBe(true);
    });
  });
});
