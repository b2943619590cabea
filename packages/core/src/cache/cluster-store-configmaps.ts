import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { KubeRequestError, type KubeJsonClient } from '../leader/kube-json-client.js';
import type { SharedCacheStore, SharedCacheUsage } from './cluster-store.js';
import type { EmitCacheEntry } from './emit-cache.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Suffix of a sink's `binaryData` key in a shard (`<sink id>.ndjson.gz`): gzip'd NDJSON, one entry per line. */
export const SHARD_DATA_SUFFIX = '.ndjson.gz';
/** Label put on every shard, for `kubectl get cm -l`. Not what makes a ConfigMap the store's: its name is. */
export const STORE_LABEL = 'watch-proxy.io/emit-cache';

/** Settings of a `ConfigMapCacheStore`. */
export interface ConfigMapCacheStoreOptions {
  readonly client: KubeJsonClient;
  /** The daemon's own namespace: RBAC needs configmaps create, and get/update of the shard names, there only. */
  readonly namespace: string;
  /**
   * Prefix of the ConfigMap names: `<name>-emit-cache-<shard>`, fixed names so RBAC can list them
   * (`resourceNames`). Default: `watch-proxy`.
   */
  readonly name?: string | undefined;
  /**
   * ConfigMaps; each sink's entries go to `hash(key) mod shards`, every sink having its own part of each shard.
   * Capacity is about `shards × maxShardBytes` compressed, for all sinks together. Keep it fixed for a deployment
   * (shards past a lowered count are not read). Default: 8.
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

/** What makes an entry's line change: a part whose keys all keep their signature needs no rewrite. */
function signature(e: EmitCacheEntry): string {
  return `${e.uid}\u0000${e.fingerprint}\u0000${e.deliveredAt}`;
}

/** The entry without its state: a delete found later carries a minimal object, but it is still sent. */
function stripped(e: EmitCacheEntry): EmitCacheEntry {
  const metadata = e.namespace === '' ? { name: e.name, uid: e.uid } : { name: e.name, namespace: e.namespace, uid: e.uid };
  return { ...e, state: JSON.stringify({ metadata }) };
}

/** A sink's key in a shard's `binaryData`: a hash, so endpoint names (URLs) never show in the cluster. */
function sinkId(sink: string): string {
  return createHash('sha256').update(sink).digest('hex').slice(0, 16);
}

interface ConfigMapObject {
  readonly binaryData?: Readonly<Record<string, string>>;
}

/** One shard as this process last read or wrote it: every sink's part (base64 gzip), so one sink's save keeps the others'. */
type ShardParts = Map<string, string>;

/**
 * The emit caches kept in the cluster, so a new leader, or a replacement pod with an empty state directory, knows
 * what receivers already hold: a fixed set of ConfigMaps `<name>-emit-cache-<n>` in the daemon's namespace,
 * entries sharded by key hash, each sink's part of a shard gzip'd NDJSON in `binaryData` (last delivered state
 * included, so deletes found later carry it). A save rewrites only the shards whose part changed, checks
 * `mayWrite` before each request (a leader that stood down writes nothing more), and never fails for lack of
 * room: a part that does not fit is stored without object states, then with fewer entries, and `usage()` says so.
 */
export class ConfigMapCacheStore implements SharedCacheStore {
  readonly #o: ConfigMapCacheStoreOptions;
  readonly #shards: number;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #base: string;
  readonly #prefix: string;
  /** Per sink, per shard: key → signature as last written or read, to skip unchanged parts without encoding them. */
  readonly #written = new Map<string, (ReadonlyMap<string, string> | undefined)[]>();
  /** Per shard: the parts as last read or written (undefined: never read, the ConfigMap may not exist). */
  readonly #parts: (ShardParts | undefined)[];
  /** Per shard: writes of that ConfigMap, one at a time (sinks share it). */
  readonly #queues: Promise<void>[];
  /** Per sink: entries last saved, and per shard what did not fit when it was last written. */
  readonly #usage = new Map<string, { entries: number; shards: ({ withoutState: number; notStored: number } | undefined)[] }>();

  constructor(options: ConfigMapCacheStoreOptions) {
    this.#o = options;
    this.#shards = options.shards ?? 8;
    this.#maxBytes = options.maxShardBytes ?? 900 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.#shards) || this.#shards < 1 || this.#shards > 256) throw new RangeError('ConfigMapCacheStore: shards must be an integer in 1..256');
    this.#base = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/configmaps`;
    this.#prefix = `${options.name ?? 'watch-proxy'}-emit-cache-`;
    this.#parts = Array.from({ length: this.#shards }, () => undefined);
    this.#queues = Array.from({ length: this.#shards }, () => Promise.resolve());
  }

  /** The ConfigMap name of one shard (the same for every sink). */
  shardName(shard: number): string {
    return `${this.#prefix}${String(shard)}`;
  }

  /** Every ConfigMap name the store may create: what RBAC's `resourceNames` must list. */
  shardNames(): string[] {
    return Array.from({ length: this.#shards }, (_v, shard) => this.shardName(shard));
  }

  /** True for the store's own ConfigMaps: its namespace and shard names, nothing else (labels are not proof). */
  owns(namespace: string, name: string): boolean {
    if (namespace !== this.#o.namespace || !name.startsWith(this.#prefix)) return false;
    const rest = name.slice(this.#prefix.length);
    return /^(0|[1-9]\d{0,2})$/.test(rest) && Number(rest) < this.#shards;
  }

  usage(): readonly SharedCacheUsage[] {
    return [...this.#usage].map(([sink, u]) => ({
      sink,
      entries: u.entries,
      withoutState: u.shards.reduce((sum, s) => sum + (s?.withoutState ?? 0), 0),
      notStored: u.shards.reduce((sum, s) => sum + (s?.notStored ?? 0), 0),
    }));
  }

  /** Reads one shard's parts (every sink's); remembers them so that writing one part keeps the others. */
  async #read(shard: number): Promise<ShardParts | undefined> {
    let cm: ConfigMapObject;
    try {
      cm = await this.#o.client.request<ConfigMapObject>({ method: 'GET', path: `${this.#base}/${this.shardName(shard)}`, timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) {
        this.#parts[shard] ??= new Map();
        return undefined;
      }
      throw error;
    }
    const parts: ShardParts = new Map();
    for (const [dataKey, value] of Object.entries(cm.binaryData ?? {})) {
      if (dataKey.endsWith(SHARD_DATA_SUFFIX)) parts.set(dataKey.slice(0, -SHARD_DATA_SUFFIX.length), value);
    }
    // The cluster's copy wins: another leader may have written it since this process last did.
    this.#parts[shard] = parts;
    return parts;
  }

  async load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined> {
    const id = sinkId(sink);
    // All shards at once: a takeover waits for the slowest GET, not for their sum.
    const texts = await Promise.all(
      Array.from({ length: this.#shards }, async (_v, shard): Promise<string | undefined> => {
        const data = (await this.#read(shard))?.get(id);
        return data === undefined ? undefined : (await gunzipAsync(Buffer.from(data, 'base64'))).toString('utf8');
      }),
    );
    const entries = new Map<string, EmitCacheEntry>();
    const written = texts.map((text, shard) => {
      if (text === undefined) return undefined;
      const signatures = new Map<string, string>();
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const parsed = fromLine(line);
        if (parsed === undefined) throw new Error(`shard ${this.shardName(shard)} has a malformed entry`);
        entries.set(parsed[0], parsed[1]);
        signatures.set(parsed[0], signature(parsed[1]));
      }
      return signatures;
    });
    this.#written.set(sink, written);
    return texts.some((text) => text !== undefined) ? entries : undefined;
  }

  async save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, mayWrite: () => boolean): Promise<void> {
    const id = sinkId(sink);
    const buckets: (readonly [string, EmitCacheEntry])[][] = Array.from({ length: this.#shards }, () => []);
    let total = 0;
    for (const pair of entries) {
      buckets[shardOf(pair[0], this.#shards)]?.push(pair);
      total++;
    }
    const written = this.#written.get(sink) ?? [];
    this.#written.set(sink, written);
    const usage = this.#usage.get(sink) ?? { entries: 0, shards: [] };
    this.#usage.set(sink, usage);
    usage.entries = total;
    for (let shard = 0; shard < this.#shards; shard++) {
      const bucket = buckets[shard] ?? [];
      const before = written[shard];
      // Same size and every key with the same signature: the same set of lines, nothing to write.
      if (before !== undefined && before.size === bucket.length && bucket.every(([key, entry]) => before.get(key) === signature(entry))) {
        continue;
      }
      if (!mayWrite()) return;
      const result = await this.#enqueue(shard, async () => {
        // Never written nor read by this process (another sink's load did not cover it): read it first, so the
        // other sinks' parts survive this write.
        if (this.#parts[shard] === undefined) await this.#read(shard);
        const others = [...(this.#parts[shard] ?? new Map<string, string>())].filter(([other]) => other !== id);
        const room = this.#maxBytes - others.reduce((sum, [other, value]) => sum + other.length + value.length, 0);
        const fitted = await this.#fit(bucket, room);
        if (!mayWrite()) return undefined;
        const parts: ShardParts = new Map(others);
        parts.set(id, fitted.data);
        await this.#put(shard, parts);
        this.#parts[shard] = parts;
        return fitted;
      });
      if (result === undefined) return;
      usage.shards[shard] = { withoutState: result.withoutState, notStored: result.notStored };
      // A part stored short is written again at the next save (it may fit by then).
      written[shard] = result.withoutState + result.notStored > 0 ? undefined : new Map(bucket.map(([key, entry]) => [key, signature(entry)]));
    }
  }

  /**
   * The part's data (base64 gzip) within `room` bytes of base64: all entries if they fit, else all without their
   * states (deletes then carry a minimal object), else as many of those as fit (the rest are forgotten: after a
   * pod replacement they are sent again, and a delete of theirs made meanwhile is missed).
   */
  async #fit(bucket: readonly (readonly [string, EmitCacheEntry])[], room: number): Promise<{ data: string; withoutState: number; notStored: number }> {
    // Sorted, so the same entries always make the same bytes.
    const encode = async (pairs: readonly (readonly [string, EmitCacheEntry])[]): Promise<string> =>
      (await gzipAsync(Buffer.from(pairs.map(([key, entry]) => toLine(key, entry)).sort().join('\n'), 'utf8'))).toString('base64');
    const full = await encode(bucket);
    if (full.length <= room) return { data: full, withoutState: 0, notStored: 0 };
    const bare = bucket.map(([key, entry]) => [key, stripped(entry)] as const);
    let data = await encode(bare);
    if (data.length <= room) return { data, withoutState: bucket.length, notStored: 0 };
    // Oldest deliveries go first: the newest are the likeliest to change or be deleted before anyone looks again.
    const newestFirst = [...bare].sort((a, b) => b[1].deliveredAt - a[1].deliveredAt);
    let keep = Math.floor((newestFirst.length * Math.max(0, room)) / data.length);
    for (;;) {
      data = await encode(newestFirst.slice(0, keep));
      if (data.length <= room || keep === 0) break;
      keep = Math.floor(keep * 0.9);
    }
    return { data, withoutState: keep, notStored: bucket.length - keep };
  }

  #enqueue<T>(shard: number, op: () => Promise<T>): Promise<T> {
    const run = (this.#queues[shard] ?? Promise.resolve()).then(op);
    this.#queues[shard] = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async #put(shard: number, parts: ShardParts): Promise<void> {
    const name = this.shardName(shard);
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.#o.namespace,
        labels: { 'app.kubernetes.io/name': 'watch-proxy', [STORE_LABEL]: 'true', ...this.#o.labels },
        annotations: { 'watch-proxy.io/shard': `${String(shard)}/${String(this.#shards)}` },
      },
      binaryData: Object.fromEntries([...parts].map(([id, data]) => [`${id}${SHARD_DATA_SUFFIX}`, data])),
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
