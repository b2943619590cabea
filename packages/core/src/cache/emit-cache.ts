import { canonicalJson } from '../payload/canonical-json.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import type { Change, KubeObject } from '../types.js';
import type { StateFile } from './state-file.js';
import { StoredEntry, entryWith, fieldsOf } from './stored-entry.js';

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
   * Canonical JSON of the delivered object: a delete found later (a relist, a restart, a takeover) must carry it.
   * With a `stateDir` it may live on disk and be read when this is read (so read it where it is needed: a spread
   * of such an entry does not carry it); in memory it is the string the fingerprint was computed from.
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

/** Where a cache keeps the states it holds on disk (`EmitCache.keepStatesOnDisk`). */
export interface DiskStates {
  /** Where states evicted from memory are appended; replaced at every snapshot (`rotateSpill`). */
  readonly spill: StateFile;
  /** Characters of states the cache may hold in memory; past it, the oldest are spilled to disk. */
  readonly memoryBudget: number;
  /** Called when spilling failed (a full disk): the states stay in memory until the next snapshot. */
  readonly onError: (error: Error) => void;
}

/** `DiskStates` as the cache follows them: the spill file changes at every snapshot. */
interface Spilling {
  spill: StateFile;
  readonly memoryBudget: number;
  readonly onError: (error: Error) => void;
  /** A spill failed: not tried again until the next spill file. */
  failed: boolean;
}

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
  #disk: Spilling | undefined;
  /** With disk states: the keys whose state is in memory, oldest delivery first, with its length in characters. */
  readonly #inMemory = new Map<string, number>();
  #inMemoryChars = 0;

  constructor(options: EmitCacheOptions) {
    this.#options = options;
  }

  /** Number of objects the sink is known to hold. */
  get size(): number {
    return this.#entries.size;
  }

  /** Characters of states held in memory while states are kept on disk (bounded by its `memoryBudget`); 0 otherwise. */
  get stateCharsInMemory(): number {
    return this.#inMemoryChars;
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
      if (this.#entries.get(change.key)?.uid === change.uid) this.#remove(change.key);
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
    this.#set(change.key, entry);
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
    this.#set(key, local === undefined ? entry : entryWith(local, { fingerprint: UNCONFIRMED_FINGERPRINT }));
  }

  /** Seeds entries loaded from disk. */
  restore(key: string, entry: EmitCacheEntry): void {
    this.#set(key, entry);
  }

  entries(): IterableIterator<[string, EmitCacheEntry]> {
    return this.#entries.entries();
  }

  /** Drops everything (used when the persisted file was unusable). */
  clear(): void {
    this.#version++;
    for (const key of [...this.#entries.keys()]) this.#remove(key);
  }

  /**
   * From now on, keeps at most `memoryBudget` characters of states in memory: past it, the states delivered longest
   * ago go to the spill file in one write, and are read back from there (or, after the next snapshot, from it) when
   * a delete or a filter needs them. What makes a large cache cost its fingerprints and names, not its objects.
   */
  keepStatesOnDisk(disk: DiskStates): void {
    this.#disk = { ...disk, failed: false };
    for (const [key, entry] of this.#entries) this.#track(key, entry);
  }

  /** Spills go to `next` from now on; the previous spill file closes once no entry points into it (after `relocate`). */
  rotateSpill(next: StateFile): void {
    const disk = this.#disk;
    if (disk === undefined) {
      next.retire();
      return;
    }
    const previous = disk.spill;
    disk.spill = next;
    disk.failed = false;
    previous.retire();
  }

  /**
   * A snapshot now holds these entries' states at these places in `file`: each entry still current reads its state
   * from there (its memory or spilled copy is let go). Entries replaced since are left alone. Not a change.
   */
  relocate(placed: StatePlacement, file: StateFile): void {
    for (let i = 0; i < placed.keys.length; i++) {
      const key = placed.keys[i]!;
      const entry = placed.entries[i]!;
      if (this.#entries.get(key) !== entry) continue;
      this.#set(key, new StoredEntry(fieldsOf(entry), file, placed.offsets[i]!, placed.lengths[i]!));
    }
  }

  /** Closes every file the states are read from (the pipeline stopped): reading a stored state afterwards throws. */
  closeStates(): void {
    const files = new Set<StateFile>();
    for (const entry of this.#entries.values()) if (entry instanceof StoredEntry) files.add(entry.file);
    if (this.#disk !== undefined) files.add(this.#disk.spill);
    for (const file of files) file.close();
    this.#disk = undefined;
    this.#inMemory.clear();
    this.#inMemoryChars = 0;
  }

  #set(key: string, entry: EmitCacheEntry): void {
    // Retained before the old one is released: both may point into the same file, which must not close between.
    if (entry instanceof StoredEntry) entry.file.retain();
    const old = this.#entries.get(key);
    this.#entries.set(key, entry);
    if (old instanceof StoredEntry) old.file.release();
    this.#track(key, entry);
  }

  #remove(key: string): void {
    const old = this.#entries.get(key);
    this.#entries.delete(key);
    if (old instanceof StoredEntry) old.file.release();
    this.#untrack(key);
  }

  #untrack(key: string): void {
    const chars = this.#inMemory.get(key);
    if (chars === undefined) return;
    this.#inMemory.delete(key);
    this.#inMemoryChars -= chars;
  }

  #track(key: string, entry: EmitCacheEntry): void {
    const disk = this.#disk;
    if (disk === undefined) return;
    // Deleted and set again, so the map's order stays that of the deliveries.
    this.#untrack(key);
    if (entry instanceof StoredEntry) return;
    this.#inMemory.set(key, entry.state.length);
    this.#inMemoryChars += entry.state.length;
    if (this.#inMemoryChars > disk.memoryBudget && !disk.failed) this.#spill(disk);
  }

  /** Writes the oldest states in memory to the spill file, down to three quarters of the budget (a few MiB per write). */
  #spill(disk: Spilling): void {
    const keys: string[] = [];
    const texts: string[] = [];
    let chars = this.#inMemoryChars;
    for (const [key, length] of this.#inMemory) {
      if (chars <= disk.memoryBudget * 0.75) break;
      keys.push(key);
      texts.push(this.#entries.get(key)!.state);
      chars -= length;
    }
    let places: (readonly [number, number])[];
    try {
      places = disk.spill.appendAll(texts);
    } catch (error) {
      // Not again until the next snapshot's spill file: the states stay in memory meanwhile.
      disk.failed = true;
      disk.onError(new Error(`spilling emit cache states to disk failed (they stay in memory): ${(error as Error).message}`, { cause: error }));
      return;
    }
    const spill = disk.spill;
    keys.forEach((key, i) => {
      const [offset, length] = places[i]!;
      this.#set(key, new StoredEntry(fieldsOf(this.#entries.get(key)!), spill, offset, length));
    });
  }
}

/** Where a snapshot put each entry's state: parallel arrays (one object per entry would cost more than the arrays). */
export interface StatePlacement {
  readonly keys: string[];
  readonly entries: EmitCacheEntry[];
  /** Byte offsets of the states in the snapshot. */
  readonly offsets: number[];
  /** Byte lengths of the states. */
  readonly lengths: number[];
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
