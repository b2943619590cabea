import { InvalidArgumentError } from '../errors.js';
import { KubeRequestError, type KubeJsonClient } from '../kube/kube-json-client.js';
import { IntentLogFullError, type SharedCacheStore, type SharedCacheUsage } from './cluster-store.js';
import {
  fitPart,
  parsePart,
  roomBeside,
  shardOf,
  signature,
  signatureHolds,
  sinkId,
  unzipPart,
  type ShardParts,
} from './configmap-codec.js';
import { UNCONFIRMED_FINGERPRINT, type EmitCacheEntry } from './emit-cache.js';

/** Suffix of a sink's `binaryData` key in a shard (`<sink id>.ndjson.gz`): gzip'd NDJSON, one entry per line. */
export const SHARD_DATA_SUFFIX = '.ndjson.gz';
/** Suffix of the intent log's ConfigMap name (`<name>-emit-cache-intents`), next to the shards'. */
export const INTENTS_SUFFIX = 'intents';
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

interface ConfigMapObject {
  readonly binaryData?: Readonly<Record<string, string>>;
}

/** One sink's intents: objects that may reach its receiver and that the shards do not hold yet. */
interface IntentState {
  /** By key: the entry (fingerprint `UNCONFIRMED_FINGERPRINT`) with the state a delete needs. */
  readonly pending: Map<string, EmitCacheEntry>;
  /** An intent was added since the last write: a send must wait for the next write. */
  unwritten: boolean;
  /** Intents were dropped since the last write (held by the shards, or settled): the next write may shrink the part. */
  changed: boolean;
}

/**
 * The emit caches kept in the cluster, so a new leader, or a replacement pod with an empty state directory, knows
 * what receivers already hold: a fixed set of ConfigMaps `<name>-emit-cache-<n>` in the daemon's namespace,
 * entries sharded by key hash, each sink's part of a shard gzip'd NDJSON in `binaryData` (last delivered state
 * included, so deletes found later carry it). A save rewrites only the shards whose part changed, checks
 * `mayWrite` before each request (a leader that stood down writes nothing more), and never fails for lack of
 * room: a part that does not fit is stored without object states, then with fewer entries, and `usage()` says so.
 *
 * Saves run on a timer, so an object first sent after the last one would be unknown to the next process (its
 * delete missed after a crash). `intend` closes that gap: one more ConfigMap, `<name>-emit-cache-intents`, holds
 * each sink's objects about to be sent that the shards do not hold yet (same line format, fingerprint
 * `UNCONFIRMED_FINGERPRINT`), written before the send: one write per batch that carries such an object, none for
 * updates of objects the shards hold. A save drops from it what the shards now hold.
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
  /** Per sink: the intent log (see `intend`). */
  readonly #intents = new Map<string, IntentState>();
  /** The intent ConfigMap's parts as last read or written (undefined: never read). */
  #intentParts: ShardParts | undefined;
  /** Writes of the intent ConfigMap, one at a time (sinks share it). */
  #intentQueue: Promise<void> = Promise.resolve();

  constructor(options: ConfigMapCacheStoreOptions) {
    this.#o = options;
    this.#shards = options.shards ?? 8;
    this.#maxBytes = options.maxShardBytes ?? 900 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.#shards) || this.#shards < 1 || this.#shards > 256) throw new InvalidArgumentError('ConfigMapCacheStore: shards must be an integer in 1..256');
    this.#base = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/configmaps`;
    this.#prefix = `${options.name ?? 'watch-proxy'}-emit-cache-`;
    this.#parts = Array.from({ length: this.#shards }, () => undefined);
    this.#queues = Array.from({ length: this.#shards }, () => Promise.resolve());
  }

  /** The ConfigMap name of one shard (the same for every sink). */
  shardName(shard: number): string {
    return `${this.#prefix}${String(shard)}`;
  }

  /** The shards' ConfigMap names (the same for every sink). */
  shardNames(): string[] {
    return Array.from({ length: this.#shards }, (_v, shard) => this.shardName(shard));
  }

  /** The intent log's ConfigMap name: `<name>-emit-cache-intents`. */
  intentsName(): string {
    return `${this.#prefix}${INTENTS_SUFFIX}`;
  }

  /** Every ConfigMap name the store may create (the shards, then the intent log): what RBAC's `resourceNames` must list. */
  configMapNames(): string[] {
    return [...this.shardNames(), this.intentsName()];
  }

  /** True for the store's own ConfigMaps: its namespace, shard names and intent log, nothing else (labels are not proof). */
  owns(namespace: string, name: string): boolean {
    if (namespace !== this.#o.namespace || !name.startsWith(this.#prefix)) return false;
    const rest = name.slice(this.#prefix.length);
    if (rest === INTENTS_SUFFIX) return true;
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
    const parts = await this.#readParts(this.shardName(shard));
    // The cluster's copy wins: another leader may have written it since this process last did.
    this.#parts[shard] = parts ?? this.#parts[shard] ?? new Map();
    return parts;
  }

  /** Reads the intent log's parts (every sink's), remembered like a shard's. */
  async #readIntents(): Promise<ShardParts | undefined> {
    const parts = await this.#readParts(this.intentsName());
    this.#intentParts = parts ?? this.#intentParts ?? new Map();
    return parts;
  }

  /** The parts of ConfigMap `name` by sink id; `undefined` when it does not exist. */
  async #readParts(name: string): Promise<ShardParts | undefined> {
    let cm: ConfigMapObject;
    try {
      cm = await this.#o.client.request<ConfigMapObject>({ method: 'GET', path: `${this.#base}/${name}`, timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) return undefined;
      throw error;
    }
    const parts: ShardParts = new Map();
    for (const [dataKey, value] of Object.entries(cm.binaryData ?? {})) {
      if (dataKey.endsWith(SHARD_DATA_SUFFIX)) parts.set(dataKey.slice(0, -SHARD_DATA_SUFFIX.length), value);
    }
    return parts;
  }

  /** True when the shards, as last written or read, hold incarnation `uid` of `key` for `sink`. */
  #holds(sink: string, key: string, uid: string): boolean {
    return signatureHolds(this.#written.get(sink)?.[shardOf(key, this.#shards)]?.get(key), uid);
  }

  #intentState(sink: string): IntentState {
    let state = this.#intents.get(sink);
    if (state === undefined) {
      state = { pending: new Map(), unwritten: false, changed: false };
      this.#intents.set(sink, state);
    }
    return state;
  }

  /**
   * The shards' entries, plus the intents they do not hold (as unconfirmed entries: the receiver may have them, so
   * their deletes are sent if they are gone). Those intents stay in the log until a save holds them.
   */
  async load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined> {
    const id = sinkId(sink);
    // All shards at once: a takeover waits for the slowest GET, not for their sum.
    const [intentText, ...texts] = await Promise.all([
      (async () => unzipPart((await this.#readIntents())?.get(id)))(),
      ...Array.from({ length: this.#shards }, async (_v, shard) => unzipPart((await this.#read(shard))?.get(id))),
    ]);
    const entries = new Map<string, EmitCacheEntry>();
    const written = texts.map((text, shard) => {
      if (text === undefined) return undefined;
      const signatures = new Map<string, string>();
      parsePart(text, `shard ${this.shardName(shard)}`, (key, entry) => {
        entries.set(key, entry);
        signatures.set(key, signature(entry));
      });
      return signatures;
    });
    this.#written.set(sink, written);
    // The log as the cluster has it replaces this process's: another leader may have written it since.
    const intents: IntentState = { pending: new Map(), unwritten: false, changed: false };
    this.#intents.set(sink, intents);
    if (intentText !== undefined) {
      parsePart(intentText, `the intent log ${this.intentsName()}`, (key, entry) => {
        if (entries.get(key)?.uid === entry.uid) {
          intents.changed = true;
          return;
        }
        const unconfirmed = { ...entry, fingerprint: UNCONFIRMED_FINGERPRINT };
        intents.pending.set(key, unconfirmed);
        entries.set(key, unconfirmed);
      });
    }
    return texts.some((text) => text !== undefined) || intents.pending.size > 0 ? entries : undefined;
  }

  async intend(sink: string, entries: readonly (readonly [string, EmitCacheEntry])[], mayWrite: () => boolean): Promise<void> {
    const intents = this.#intentState(sink);
    for (const [key, entry] of entries) {
      // Already recorded: by the shards (an update of a known object), or by an earlier intent.
      if (intents.pending.get(key)?.uid === entry.uid || this.#holds(sink, key, entry.uid)) continue;
      intents.pending.set(key, { ...entry, fingerprint: UNCONFIRMED_FINGERPRINT });
      intents.unwritten = true;
    }
    if (intents.unwritten) await this.#writeIntents(sink, mayWrite);
  }

  settle(sink: string, key: string, uid: string): void {
    const intents = this.#intents.get(sink);
    if (intents?.pending.get(key)?.uid !== uid) return;
    intents.pending.delete(key);
    intents.changed = true;
  }

  /** Writes `sink`'s part of the intent log as it is when the write starts (one write at a time). */
  #writeIntents(sink: string, mayWrite: () => boolean): Promise<void> {
    const run = this.#intentQueue.then(async () => {
      const intents = this.#intentState(sink);
      if ((!intents.unwritten && !intents.changed) || !mayWrite()) return;
      const id = sinkId(sink);
      if (this.#intentParts === undefined) await this.#readIntents();
      const before = this.#intentParts ?? new Map<string, string>();
      const pending = [...intents.pending];
      if (pending.length === 0 && !before.has(id)) {
        intents.unwritten = intents.changed = false;
        return;
      }
      intents.unwritten = intents.changed = false;
      try {
        const others = [...before].filter(([other]) => other !== id);
        const parts: ShardParts = new Map(others);
        let notStored = 0;
        if (pending.length > 0) {
          const fitted = await fitPart(pending, roomBeside(others, this.#maxBytes));
          parts.set(id, fitted.data);
          notStored = fitted.notStored;
        }
        if (!mayWrite()) {
          intents.unwritten = intents.changed = true;
          return;
        }
        await this.#put(this.intentsName(), { 'watch-proxy.io/part': INTENTS_SUFFIX }, parts);
        this.#intentParts = parts;
        if (notStored > 0) {
          intents.unwritten = true;
          throw new IntentLogFullError(notStored);
        }
      } catch (error) {
        if (!(error instanceof IntentLogFullError)) intents.unwritten = intents.changed = true;
        throw error;
      }
    });
    this.#intentQueue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** After a save: drops the intents the shards now hold, and writes the log if it shrank. */
  async #pruneIntents(sink: string, mayWrite: () => boolean): Promise<void> {
    const intents = this.#intents.get(sink);
    if (intents === undefined) return;
    for (const [key, entry] of intents.pending) {
      if (this.#holds(sink, key, entry.uid)) {
        intents.pending.delete(key);
        intents.changed = true;
      }
    }
    if (intents.changed || intents.unwritten) await this.#writeIntents(sink, mayWrite);
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
        const fitted = await fitPart(bucket, roomBeside(others, this.#maxBytes));
        if (!mayWrite()) return undefined;
        const parts: ShardParts = new Map(others);
        parts.set(id, fitted.data);
        await this.#put(this.shardName(shard), { 'watch-proxy.io/shard': `${String(shard)}/${String(this.#shards)}` }, parts);
        this.#parts[shard] = parts;
        return fitted;
      });
      if (result === undefined) return;
      usage.shards[shard] = { withoutState: result.withoutState, notStored: result.notStored };
      // A part stored short is written again at the next save (it may fit by then).
      written[shard] = result.withoutState + result.notStored > 0 ? undefined : new Map(bucket.map(([key, entry]) => [key, signature(entry)]));
    }
    await this.#pruneIntents(sink, mayWrite).catch((error: unknown) => {
      // Not full here: a full log is the sends' problem (intend), the save itself succeeded.
      if (!(error instanceof IntentLogFullError)) throw error;
    });
  }

  #enqueue<T>(shard: number, op: () => Promise<T>): Promise<T> {
    const run = (this.#queues[shard] ?? Promise.resolve()).then(op);
    this.#queues[shard] = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  async #put(name: string, annotations: Readonly<Record<string, string>>, parts: ShardParts): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.#o.namespace,
        labels: { 'app.kubernetes.io/name': 'watch-proxy', [STORE_LABEL]: 'true', ...this.#o.labels },
        annotations,
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
