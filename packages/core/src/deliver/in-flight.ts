import type { Batch, Change } from '../types.js';
import { batchIdOf } from './batch-id.js';
import { estimateBytes } from './coalescing-queue.js';

/** A batch of `items` created at `now` (epoch ms), named by its items and sized by their estimated JSON bytes. */
export function batchOf(items: readonly Change[], now: number): Batch {
  let bytes = 0;
  for (const change of items) bytes += estimateBytes(change);
  return { id: batchIdOf(items), items: Object.freeze([...items]), bytes, createdAt: now };
}

/**
 * The changes a lane is sending, by object key: those of the batch being sent and of the parts of a refused batch
 * still to send (sent next, ahead of the queue; their changes stay in flight until those parts are sent). A change
 * leaves flight only as itself: when a newer change of its object took its place, that one stays.
 */
export class InFlight {
  readonly #changes = new Map<string, Change>();
  #parts: Batch[] = [];

  /** Objects in flight. */
  get size(): number {
    return this.#changes.size;
  }

  /** Whether a part of a refused batch waits to be sent. */
  get hasParts(): boolean {
    return this.#parts.length > 0;
  }

  /** The change of object `key` in flight, if any. */
  get(key: string): Change | undefined {
    return this.#changes.get(key);
  }

  /** Every change in flight, with its object key. */
  entries(): IterableIterator<[string, Change]> {
    return this.#changes.entries();
  }

  /** `items` (a batch just cut) are in flight now. */
  take(items: readonly Change[]): void {
    for (const change of items) this.#changes.set(change.key, change);
  }

  /** `items` leave flight (delivered, owed or dropped). */
  land(items: Iterable<Change>): void {
    for (const change of items) if (this.#changes.get(change.key) === change) this.#changes.delete(change.key);
  }

  /** The first part of a refused batch still to send, if any (its changes are in flight already). */
  takePart(): Batch | undefined {
    return this.#parts.shift();
  }

  /** Sends `halves` (of a refused batch) next, in order, ahead of the queue; their changes stay in flight. */
  split(halves: readonly [readonly Change[], readonly Change[]], now: number): void {
    this.#parts.unshift(batchOf(halves[0], now), batchOf(halves[1], now));
  }

  /** After the batch `first` ended: its changes leave flight, except those handed on to parts of a refused batch. */
  settle(first: Batch): void {
    const handedOn = new Set(this.#parts.flatMap((part) => part.items));
    this.land(first.items.filter((change) => !handedOn.has(change)));
  }

  /** Removes the parts of a refused batch still to send, and their changes from flight; returns those changes. */
  forgetParts(): Change[] {
    const items = this.#parts.flatMap((part) => part.items);
    this.#parts = [];
    this.land(items);
    return items;
  }

  /** Every change in flight (they stay there until their attempt ends). */
  changes(): Change[] {
    return [...this.#changes.values()];
  }
}
