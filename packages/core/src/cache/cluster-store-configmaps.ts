import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { KubeRequestError, type KubeJsonClient } from '../leader/kube-json-client.js';
import type { SharedCacheStore } from './cluster-store.js';
import type { EmitCacheEntry } from './emit-cache.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The one `binaryData` key of a shard: gzip'd NDJSON, one entry per line. */
export const SHARD_DATA_KEY = 'entries.ndjson.gz';
/** Label put on every shard; the RBAC example and `kubectl get cm -l` use it. */
export const STORE_LABEL = 'watch-proxy.io/emit-cache';

/** Settings of a `ConfigMapCacheStore`. */
export interface ConfigMapCacheStoreOptions {
  readonly client: KubeJsonClient;
  /** The daemon's own namespace: RBAC needs configmaps get/create/update there only. */
  readonly namespace: string;
  /** Prefix of the ConfigMap names: `<name>-<sink hash>-<shard>`. Default: `watch-proxy-emit-cache`. */
  readonly name?: string | undefined;
  /**
   * ConfigMaps per sink; entries go to `hash(key) mod shards`. Capacity per sink is about `shards ×
   * maxShardBytes` compressed. Keep it fixed for a deployment (shards past a lowered count are not read). Default: 8.
   */
  readonly shards?: number | undefined;
  /** Most compressed bytes in one ConfigMap (the apiserver refuses objects over 1 MiB). Default: 900 KiB. */
  readonly maxShardBytes?: number | undefined;
  /** Per request, ms. Default: 10 000. */
  readonly timeoutMs?: number | undefined;
  /** Extra labels on every shard (e.g. `app.kubernetes.io/instance`). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

type Line = [string, string, string, string, string, string, string, string, number, string];

function toLine(key: string, e: EmitCacheEntry): string {
  const line: Line = [key, e.fingerprint, e.resource, e.uid, e.namespace, e.name, e.assetId, e.uniqueId, e.deliveredAt, e.state];
  return JSON.stringify(line);
}

function fromLine(text: string): [string, EmitCacheEntry] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // Never rethrow the parser's message: it quotes the line (object states, Secret data with includeSecretData).
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 10 || typeof v[8] !== 'number' || !v.every((x, i) => i === 8 || typeof x === 'string')) return undefined;
  const [key, fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state] = v as Line;
  return [key, { fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state }];
}

/** FNV-1a: cheap enough to run for every key on every save, and stable across processes. */
function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** What makes an entry's line change: a shard whose keys all keep their signature needs no rewrite. */
function signature(e: EmitCacheEntry): string {
  return `${e.uid}\u0000${e.fingerprint}\u0000${e.deliveredAt}`;
}

interface ConfigMapObject {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly binaryData?: Readonly<Record<string, string>>;
}

/**
 * The emit caches shared through the cluster, so a new leader knows what receivers already hold: per sink, a
 * fixed set of ConfigMaps in the daemon's namespace, entries sharded by key hash, each shard gzip'd NDJSON in
 * `binaryData` (last delivered state included, so deletes found after a failover carry it). A save rewrites
 * only the shards whose content changed, checks `mayWrite` before each request (a leader that stood down
 * writes nothing more), and refuses a shard over `maxShardBytes` with an error naming the fix (more shards).
 */
export class ConfigMapCacheStore implements SharedCacheStore {
  readonly #o: ConfigMapCacheStoreOptions;
  readonly #shards: number;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #base: string;
  /** Per sink, per shard: key → signature as last written or read, to skip unchanged shards without encoding them. */
  readonly #written = new Map<string, (ReadonlyMap<string, string> | undefined)[]>();

  constructor(options: ConfigMapCacheStoreOptions) {
    this.#o = options;
    this.#shards = options.shards ?? 8;
    this.#maxBytes = options.maxShardBytes ?? 900 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.#shards) || this.#shards < 1 || this.#shards > 256) throw new RangeError('ConfigMapCacheStore: shards must be an integer in 1..256');
    this.#base = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/configmaps`;
  }

  /** The ConfigMap name of one shard of one sink. */
  shardName(sink: string, shard: number): string {
    const id = createHash('sha256').update(sink).digest('hex').slice(0, 10);
    return `${this.#o.name ?? 'watch-proxy-emit-cache'}-${id}-${shard}`;
  }

  async load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined> {
    // All shards at once: a takeover waits for the slowest GET, not for their sum.
    const texts = await Promise.all(
      Array.from({ length: this.#shards }, async (_v, shard): Promise<string | undefined> => {
        let cm: ConfigMapObject;
        try {
          cm = await this.#o.client.request<ConfigMapObject>({ method: 'GET', path: `${this.#base}/${this.shardName(sink, shard)}`, timeoutMs: this.#timeoutMs });
        } catch (error) {
          if (error instanceof KubeRequestError && error.status === 404) return undefined;
          throw error;
        }
        const data = cm.binaryData?.[SHARD_DATA_KEY];
        return data === undefined ? '' : (await gunzipAsync(Buffer.from(data, 'base64'))).toString('utf8');
      }),
    );
    const entries = new Map<string, EmitCacheEntry>();
    const written = texts.map((text, shard) => {
      if (text === undefined) return undefined;
      const signatures = new Map<string, string>();
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const parsed = fromLine(line);
        if (parsed === undefined) throw new Error(`shard ${this.shardName(sink, shard)} has a malformed entry`);
        entries.set(parsed[0], parsed[1]);
        signatures.set(parsed[0], signature(parsed[1]));
      }
      return signatures;
    });
    this.#written.set(sink, written);
    return texts.some((text) => text !== undefined) ? entries : undefined;
  }

  async save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, mayWrite: () => boolean): Promise<void> {
    const buckets: (readonly [string, EmitCacheEntry])[][] = Array.from({ length: this.#shards }, () => []);
    for (const pair of entries) buckets[shardOf(pair[0], this.#shards)]?.push(pair);
    const written = this.#written.get(sink) ?? [];
    this.#written.set(sink, written);
    const errors: string[] = [];
    for (let shard = 0; shard < this.#shards; shard++) {
      const bucket = buckets[shard] ?? [];
      const before = written[shard];
      // Same size and every key with the same signature: the same set of lines, nothing to write.
      if (before !== undefined && before.size === bucket.length && bucket.every(([key, entry]) => before.get(key) === signature(entry))) continue;
      // Sorted, so the same entries always make the same bytes.
      const text = bucket.map(([key, entry]) => toLine(key, entry)).sort().join('\n');
      const gz = await gzipAsync(Buffer.from(text, 'utf8'));
      if (gz.length > this.#maxBytes) {
        errors.push(`shard ${shard} is ${gz.length} bytes compressed, over ${this.#maxBytes} (prune large fields with pruneFields, or raise the number of shards)`);
        continue;
      }
      if (!mayWrite()) return;
      await this.#put(sink, shard, gz, bucket.length);
      written[shard] = new Map(bucket.map(([key, entry]) => [key, signature(entry)]));
    }
    if (errors.length > 0) throw new Error(`emit cache of sink "${sink}" does not fit: ${errors.join('; ')}`);
  }

  async #put(sink: string, shard: number, gz: Buffer, count: number): Promise<void> {
    const name = this.shardName(sink, shard);
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.#o.namespace,
        labels: { 'app.kubernetes.io/name': 'watch-proxy', [STORE_LABEL]: 'true', ...this.#o.labels },
        annotations: { 'watch-proxy.io/sink': sink, 'watch-proxy.io/shard': `${shard}/${this.#shards}`, 'watch-proxy.io/entries': String(count) },
      },
      binaryData: { [SHARD_DATA_KEY]: gz.toString('base64') },
    };
    // Unconditional update: only the leader writes (mayWrite is its fence), and a predecessor's late write is
    // overwritten by the next save here.
    try {
      await this.#o.client.request({ method: 'PUT', path: `${this.#base}/${name}`, body, timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (!(error instanceof KubeRequestError && error.status === 404)) throw error;
      await this.#o.client.request({ method: 'POST', path: this.#base, body, timeoutMs: this.#timeoutMs });
    }
  }
}
