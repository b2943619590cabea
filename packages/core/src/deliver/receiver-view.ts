import { deleteFromEntry, type EmitCache } from '../cache/emit-cache.js';
import type { Change, KubeObject } from '../types.js';
import type { CoalescingQueue } from './coalescing-queue.js';
import type { InFlight } from './in-flight.js';
import type { OwedItems } from './owed-items.js';

/** The last state of an object its sink holds or is about to get, and where the lane found it. */
export interface Known {
  readonly event: Change['event'];
  readonly uid: string;
  /** `queue`: waiting; `flight`: being sent; `cache`: delivered (the emit cache). */
  readonly source: 'queue' | 'flight' | 'cache';
}

/** The parts of a lane's backlog a `ReceiverView` reads; it never changes them. */
export interface ReceiverViewParts {
  readonly queue: CoalescingQueue;
  readonly flight: InFlight;
  readonly owed: OwedItems;
  /** What the receiver is known to hold. */
  readonly cache: EmitCache;
  /** Epoch ms: when the deletes the view makes up are observed. */
  readonly now: () => number;
}

/**
 * What one sink's receiver holds or is about to get of each object, read across the lane's queue, its changes in
 * flight and the emit cache, newest first. The `LaneBacklog` decides from it what a change or a complete list
 * means for the sink; the view itself decides nothing and changes nothing.
 */
export class ReceiverView {
  readonly #p: ReceiverViewParts;

  constructor(parts: ReceiverViewParts) {
    this.#p = parts;
  }

  /** What the sink holds or is about to get for `key`: the newest of queue, flight, cache. */
  known(key: string): Known | undefined {
    const queued = this.#p.queue.last(key);
    if (queued !== undefined) return { event: queued.event, uid: queued.uid, source: 'queue' };
    const flying = this.#p.flight.get(key);
    if (flying !== undefined) return { event: flying.event, uid: flying.uid, source: 'flight' };
    const cached = this.#p.cache.get(key);
    if (cached !== undefined) return { event: 'update', uid: cached.uid, source: 'cache' };
    return undefined;
  }

  /**
   * The last state the sink was sent or is about to be sent of the object named `key` (queued, in flight, or
   * delivered), or undefined when it holds none.
   */
  lastState(key: string): KubeObject | undefined {
    const queued = this.#p.queue.last(key);
    if (queued !== undefined) return queued.event === 'delete' ? undefined : queued.object;
    const flying = this.#p.flight.get(key);
    if (flying !== undefined) return flying.event === 'delete' ? undefined : flying.object;
    const state = this.#p.cache.get(key)?.state;
    return state === undefined ? undefined : (JSON.parse(state) as KubeObject);
  }

  /** The delete of what `known` describes, carrying its last state, observed now. */
  deleteOf(key: string, known: Known, synthesized: NonNullable<Change['synthesized']>): Change | undefined {
    const now = this.#p.now();
    const last = known.source === 'queue' ? this.#p.queue.last(key) : known.source === 'flight' ? this.#p.flight.get(key) : undefined;
    if (last !== undefined) return Object.freeze({ ...last, event: 'delete', observedAt: now, synthesized });
    const entry = this.#p.cache.get(key);
    return entry === undefined ? undefined : deleteFromEntry(key, entry, synthesized, now);
  }

  /** Keys of `resource` the sink holds, or has queued, in flight or owed: what a complete list must account for. */
  keysOf(resource: string): Set<string> {
    const keys = new Set<string>();
    for (const [key, entry] of this.#p.cache.entries()) if (entry.resource === resource) keys.add(key);
    for (const key of this.#p.queue.keys()) if (this.#p.queue.last(key)?.resource === resource) keys.add(key);
    for (const [key, change] of this.#p.flight.entries()) if (change.resource === resource) keys.add(key);
    for (const key of this.#p.owed.keys()) if (this.#p.owed.last(key)?.resource === resource) keys.add(key);
    return keys;
  }
}
