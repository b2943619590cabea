import type { Change } from '../types.js';
import { CoalescingQueue } from './coalescing-queue.js';

/**
 * Changes a sink refused (`rejected`) that it is still owed: never recorded as delivered, kept per object (a newer
 * state replaces an older one, so this is bounded by the number of live objects) until a retry is due. A lane takes
 * an object's changes back into its queue when its retry is due (`takeDue`) or when the object changes again
 * (`take`), whichever comes first.
 */
export class OwedItems {
  readonly #changes = new CoalescingQueue();
  /** When each object's retry is due, epoch ms. Insertion order is due order: every due time is `now + interval`. */
  readonly #dueAt = new Map<string, number>();

  /** Changes owed (not objects). */
  get size(): number {
    return this.#changes.size;
  }

  /** Objects with changes owed. */
  keys(): IterableIterator<string> {
    return this.#dueAt.keys();
  }

  /** The latest owed change of `key`. */
  last(key: string): Change | undefined {
    return this.#changes.last(key);
  }

  /**
   * Owes `changes` (in order), retried from `dueAt` (epoch ms) on. Returns changes that cancelled out against an owed
   * add the sink never got (see `CoalescingQueue.offer`).
   */
  owe(changes: readonly Change[], dueAt: number): readonly Change[] {
    const vanished: Change[] = [];
    for (const change of changes) {
      vanished.push(...this.#changes.offer(change));
      this.#dueAt.delete(change.key);
      if (this.#changes.chain(change.key).length > 0) this.#dueAt.set(change.key, dueAt);
    }
    return vanished;
  }

  /** Removes and returns what is owed for `key`, oldest first. */
  take(key: string): readonly Change[] {
    this.#dueAt.delete(key);
    return this.#changes.remove(key);
  }

  /** Removes and returns, by object, every chain whose retry is due at `now` (epoch ms). */
  takeDue(now: number): readonly (readonly Change[])[] {
    const due: (readonly Change[])[] = [];
    for (const [key, at] of this.#dueAt) {
      if (at > now) break;
      due.push(this.take(key));
    }
    return due;
  }

  /** When the next retry is due, epoch ms; `undefined` when nothing is owed. */
  nextDueAt(): number | undefined {
    for (const at of this.#dueAt.values()) return at;
    return undefined;
  }

  /** Empties the store; returns every owed change. */
  drain(): Change[] {
    this.#dueAt.clear();
    return this.#changes.drain();
  }
}
