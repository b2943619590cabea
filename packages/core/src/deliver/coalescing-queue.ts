import { canonicalJson } from '../payload/canonical-json.js';
import type { Change } from '../types.js';

/** Rough wire size of one change: its object's JSON plus the wrapper fields. */
export function estimateBytes(change: Change): number {
  return canonicalJson(change.object).length + change.uniqueId.length + change.assetId.length + 64;
}

function sumBytes(changes: readonly Change[]): number {
  let sum = 0;
  for (const change of changes) sum += estimateBytes(change);
  return sum;
}

function withEvent(change: Change, event: Change['event']): Change {
  return change.event === event ? change : Object.freeze({ ...change, event });
}

/**
 * Pending changes of one sink, keyed by object: a newer state replaces an older pending one, so the queue is
 * bounded by the number of live objects, not by the event rate. Keys keep their first-queued position
 * (fairness: a hot object cannot starve others). Per key a short chain keeps order across incarnations:
 *
 * | pending      | new (same uid) | result                                              |
 * |--------------|----------------|-----------------------------------------------------|
 * | add          | add/update     | add with the new state (the receiver never saw it)  |
 * | add          | delete         | both vanish (returned as coalesced: never needed)   |
 * | update       | add/update     | update with the new state                           |
 * | update       | delete         | delete                                              |
 * | delete       | delete         | the newer delete                                    |
 *
 * A change with a different uid than the last pending one is appended after it (delete of the old
 * incarnation first, then the new one), so a delete never overtakes what it follows.
 *
 * With `cancelAddDelete: false` (the original's behaviour) a delete after a pending add is appended instead:
 * the sink gets both.
 */
export class CoalescingQueue {
  readonly #slots = new Map<string, Change[]>();
  readonly #cancelAddDelete: boolean;
  #items = 0;
  /** `estimateBytes` of every pending change, kept up to date so asking whether a batch is full costs nothing. */
  #bytes = 0;

  /**
   * `cancelAddDelete`: whether a pending add and the delete of the same object cancel out (neither is sent).
   * Default: true.
   */
  constructor(options: { readonly cancelAddDelete?: boolean | undefined } = {}) {
    this.#cancelAddDelete = options.cancelAddDelete ?? true;
  }

  /** Pending changes (not keys). */
  get size(): number {
    return this.#items;
  }

  /** Estimated wire bytes of every pending change (see `estimateBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Whether `take(maxItems, maxBytes)` would cut a full batch now: waiting for more changes could not make it
   * bigger.
   */
  hasFullBatch(maxItems: number, maxBytes: number): boolean {
    return this.#items >= maxItems || this.#bytes >= maxBytes;
  }

  /** The latest pending change for `key`. */
  last(key: string): Change | undefined {
    return this.#slots.get(key)?.at(-1);
  }

  /** Pending changes for `key`, oldest first. */
  chain(key: string): readonly Change[] {
    return this.#slots.get(key) ?? [];
  }

  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  /** Adds a change; resolves it against what is pending. Returns changes that vanished unsent. */
  offer(change: Change): readonly Change[] {
    const slot = this.#slots.get(change.key);
    if (slot === undefined) {
      this.#slots.set(change.key, [change]);
      this.#items++;
      this.#bytes += estimateBytes(change);
      return [];
    }
    const last = slot[slot.length - 1] as Change;
    const keepBoth = change.event === 'delete' && last.event === 'add' && !this.#cancelAddDelete;
    if (last.uid !== change.uid || (last.event === 'delete' && change.event !== 'delete') || keepBoth) {
      slot.push(change);
      this.#items++;
      this.#bytes += estimateBytes(change);
      return [];
    }
    this.#bytes -= estimateBytes(last);
    if (change.event === 'delete' && last.event === 'add') {
      slot.pop();
      this.#items--;
      if (slot.length === 0) this.#slots.delete(change.key);
      return [last, change];
    }
    const next = change.event === 'delete' ? change : withEvent(change, last.event);
    slot[slot.length - 1] = next;
    this.#bytes += estimateBytes(next);
    return [];
  }

  /** Removes everything pending for `key`; returns it. */
  remove(key: string): readonly Change[] {
    const slot = this.#slots.get(key) ?? [];
    this.#slots.delete(key);
    this.#items -= slot.length;
    this.#bytes -= sumBytes(slot);
    return slot;
  }

  /**
   * Takes up to `maxItems` changes and about `maxBytes` (always at least one change, however large), oldest
   * key first, whole chains only so one object's changes stay in order inside a batch.
   */
  take(maxItems: number, maxBytes: number): { readonly items: Change[]; readonly bytes: number } {
    const items: Change[] = [];
    let bytes = 0;
    for (const [key, slot] of this.#slots) {
      const slotBytes = sumBytes(slot);
      if (items.length > 0 && (items.length + slot.length > maxItems || bytes + slotBytes > maxBytes)) break;
      if (items.length === 0 && slot.length > maxItems) {
        // A chain longer than a batch: split it, still in order.
        items.push(...slot.splice(0, maxItems));
        this.#items -= items.length;
        bytes = sumBytes(items);
        this.#bytes -= bytes;
        break;
      }
      items.push(...slot);
      bytes += slotBytes;
      this.#items -= slot.length;
      this.#bytes -= slotBytes;
      this.#slots.delete(key);
      if (items.length >= maxItems || bytes >= maxBytes) break;
    }
    return { items, bytes };
  }

  /** Empties the queue; returns what was pending. */
  drain(): Change[] {
    const all = [...this.#slots.values()].flat();
    this.#slots.clear();
    this.#items = 0;
    this.#bytes = 0;
    return all;
  }
}
