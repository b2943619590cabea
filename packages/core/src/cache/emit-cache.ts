import { canonicalJson } from '../payload/canonical-json.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import type { Change, KubeObject } from '../types.js';

/** What one sink is known to hold for one object: its last delivered state. */
export interface EmitCacheEntry {
  readonly fingerprint: string;
  readonly resource: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly assetId: string;
  readonly uniqueId: string;
  /** Epoch ms of the delivery; the TTL counts from here. */
  readonly deliveredAt: number;
  /**
   * Canonical JSON of the delivered object. Kept as one string (shared with the fingerprint computation
   * and between sinks that delivered the same change) because a delete found on restart must carry it.
   */
  readonly state: string;
}

/**
 * The fingerprint of an entry the sink may or may not hold: journalled as about to be sent, never confirmed (a crash
 * during the send). It matches no real fingerprint, so the object is sent again if it still exists, and its
 * delete (carrying the entry's state) is sent if it is gone.
 */
export const UNCONFIRMED_FINGERPRINT = '';

/** Called after each `recordDelivered` with the change and the entry now held (`undefined`: forgotten). */
export type RecordedListener = (change: Change, entry: EmitCacheEntry | undefined) => void;

/** Settings of one cache. */
export interface EmitCacheOptions {
  /** How long a delivered fingerprint suppresses re-sending the same state, ms. 0 = forever. */
  readonly ttlMs: number;
  readonly now: () => number;
}

/**
 * The emit cache of ONE sink (the original shared one cache across endpoints, so one endpoint's success hid
 * another's failure). Records only what that sink delivered. A delivered delete removes the entry: the
 * receiver no longer has the object, so the cache stays bounded by the objects the receiver holds.
 */
export class EmitCache {
  readonly #entries = new Map<string, EmitCacheEntry>();
  readonly #options: EmitCacheOptions;
  readonly #listeners: RecordedListener[] = [];
  #version = 0;

  constructor(options: EmitCacheOptions) {
    this.#options = options;
  }

  /** Number of objects the sink is known to hold. */
  get size(): number {
    return this.#entries.size;
  }

  /** Increments on every change; the persister writes when it moved. */
  get version(): number {
    return this.#version;
  }

  get(key: string): EmitCacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** True when the sink already has exactly this state of this incarnation and the entry has not expired. */
  isFresh(change: Pick<Change, 'key' | 'uid' | 'fingerprint'>): boolean {
    const entry = this.#entries.get(change.key);
    if (entry === undefined || entry.uid !== change.uid || entry.fingerprint !== change.fingerprint) return false;
    const { ttlMs, now } = this.#options;
    return ttlMs <= 0 || now() < entry.deliveredAt + ttlMs;
  }

  /** Subscribes to `recordDelivered` (the journal appends each record). */
  onRecorded(listener: RecordedListener): void {
    this.#listeners.push(listener);
  }

  /** Records a change the sink delivered: adds/updates store its state, deletes forget the object. */
  recordDelivered(change: Change): void {
    this.#version++;
    if (change.event === 'delete') {
      // Only forget the incarnation that was deleted: a newer one may already be recorded.
      if (this.#entries.get(change.key)?.uid === change.uid) this.#entries.delete(change.key);
      for (const listener of this.#listeners) listener(change, undefined);
      return;
    }
    const entry: EmitCacheEntry = {
      fingerprint: change.fingerprint,
      resource: change.resource,
      uid: change.uid,
      namespace: change.namespace,
      name: change.name,
      assetId: change.assetId,
      uniqueId: change.uniqueId,
      deliveredAt: this.#options.now(),
      state: canonicalJson(change.object),
    };
    this.#entries.set(change.key, entry);
    for (const listener of this.#listeners) listener(change, entry);
  }

  /**
   * Adds an entry from a second source of what the sink holds (the cluster store, next to the disk): kept as is
   * when this cache has nothing for the key or the same state; when the two disagree, the sink may hold either, so
   * the entry becomes unconfirmed (sent again if the object exists, deleted if it is gone). Counts as a change.
   */
  merge(key: string, entry: EmitCacheEntry): void {
    const local = this.#entries.get(key);
    if (local !== undefined && local.uid === entry.uid && local.fingerprint === entry.fingerprint) return;
    this.#version++;
    this.#entries.set(key, local === undefined ? entry : { ...local, fingerprint: UNCONFIRMED_FINGERPRINT });
  }

  /** Seeds entries loaded from disk. */
  restore(key: string, entry: EmitCacheEntry): void {
    this.#entries.set(key, entry);
  }

  entries(): IterableIterator<[string, EmitCacheEntry]> {
    return this.#entries.entries();
  }

  /** Drops everything (used when the persisted file was unusable). */
  clear(): void {
    this.#version++;
    this.#entries.clear();
  }
}

/** Rebuilds the last delivered state as a delete `Change`: how missed deletes are announced. */
export function deleteFromEntry(
  key: string,
  entry: EmitCacheEntry,
  synthesized: NonNullable<Change['synthesized']>,
  observedAt: number,
): Change {
  const object = deepFreeze(JSON.parse(entry.state) as KubeObject);
  return Object.freeze({
    key,
    resource: entry.resource,
    event: 'delete',
    object,
    uid: entry.uid,
    namespace: entry.namespace,
    name: entry.name,
    assetId: entry.assetId,
    uniqueId: entry.uniqueId,
    fingerprint: entry.fingerprint,
    observedAt,
    synthesized,
  });
}
