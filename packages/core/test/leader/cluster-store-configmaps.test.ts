import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConfigMapCacheStore } from '../../src/cache/cluster-store-configmaps.js';
import type { EmitCacheEntry } from '../../src/cache/emit-cache.js';
import { KubeJsonClient, KubeRequestError, type KubeJsonRequest } from '../../src/leader/kube-json-client.js';

/** ConfigMaps in memory behind the client's request(): GET/POST/PUT by path, as the apiserver answers them. */
class FakeApi extends KubeJsonClient {
  readonly objects = new Map<string, { binaryData: Record<string, string>; metadata: { labels: Record<string, string>; annotations: Record<string, string> } }>();
  readonly calls: string[] = [];

  constructor() {
    super(new KubeConfig());
  }

  override async request<T>(req: KubeJsonRequest): Promise<T> {
    this.calls.push(`${req.method} ${req.path}`);
    const body = req.body as { metadata: { name: string } } | undefined;
    const path = req.method === 'POST' ? `${req.path}/${body?.metadata.name ?? ''}` : req.path;
    if (req.method === 'GET' || req.method === 'PUT') {
      if (!this.objects.has(path)) throw new KubeRequestError(404, 'not found');
      if (req.method === 'GET') return this.objects.get(path) as T;
    }
    this.objects.set(path, req.body as never);
    return req.body as T;
  }
}

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
    expect(first?.metadata.annotations['watch-proxy.io/sink']).toBe('sink');
    expect([...api.objects.keys()].every((k) => k.startsWith('/api/v1/namespaces/wp/configmaps/lease-'))).toBe(true);
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
    stored.binaryData['entries.ndjson.gz'] = gz;
    const error = await store.load('sink').then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/malformed entry/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('writes nothing once mayWrite reads false (a leader that stood down)', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 4 });
    let writes = 0;
    await store.save('sink', Array.from({ length: 40 }, (_v, i) => entry(`o${i}`)), () => writes++ < 2);
    expect(api.calls.filter((c) => c.startsWith('POST'))).toHaveLength(2);
    expect(api.objects.size).toBe(2);
  });

  it('refuses a shard over the size limit, naming the fix, and still writes the others', async () => {
    const api = new FakeApi();
    const store = new ConfigMapCacheStore({ client: api, namespace: 'wp', shards: 2, maxShardBytes: 2000 });
    const random = (n: number): string => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join('');
    const big = entry('big', JSON.stringify({ blob: random(400) }));
    const small = Array.from({ length: 3 }, (_v, i) => entry(`s${i}`));
    await expect(store.save('sink', [big, ...small], () => true)).rejects.toThrow(/over 2000 \(prune large fields with pruneFields, or raise the number of shards\)/);
    const written = await store.load('sink');
    expect(written?.has(big[0]) ?? false).toBe(false);
  });
});
