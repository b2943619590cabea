import type { EmitCache } from '../cache/emit-cache.js';
import type { Batch, Change, DropReason, KubeObject, OutsideReason } from '../types.js';
import { batchIdOf } from './batch-id.js';
import { CoalescingQueue } from './coalescing-queue.js';
import { DeltaShaper, FULL_FORM, withForm } from './delta-shaper.js';
import { InFlight, batchOf } from './in-flight.js';
import { OwedItems } from './owed-items.js';
import { ReceiverView } from './receiver-view.js';

/**
 * Decides whether this endpoint receives a change, judged on the event it would receive: after the lane's
 * rewrites (a re-seen add is an update to an endpoint that has the object), and for the changes the lane makes up
 * (missed deletes, the delete of a re-created name). Returns the change to queue (possibly reshaped to the
 * current settings), a `DropReason` (not sent, counted), or `'unrouted'` (not this endpoint's: not sent, not
 * counted). A refused delete also ends the endpoint's record of the object: it will never hear of it again.
 */
export type Admission = (change: Change) => Change | DropReason | 'unrouted';

/** How `offer` treats a change. */
export interface OfferOptions {
  /**
   * The change is in a filtered set (a resource or sink `filter` applies): an update of an object this sink does
   * not hold is sent as an add, since for this sink the object just entered the set. Default: false (sent as the
   * update it is, as the original did).
   */
  readonly entersSet?: boolean | undefined;
}

/** Settings of a `LaneBacklog`. */
export interface LaneBacklogOptions {
  /** The sink's emit cache: what the receiver is known to hold. Delivered changes are recorded in it. */
  readonly cache: EmitCache;
  /** Epoch ms: when the deletes the backlog makes up are observed. */
  readonly now: () => number;
  /** Whether a queued add and the delete of the same object cancel out (see `CoalescingQueue`). Default: true. */
  readonly cancelAddDelete?: boolean | undefined;
  /** Changes the backlog lets go of without sending them (`coalesced`, `unchanged`, refused by `Admission`). */
  readonly dropped: (changes: readonly Change[], reason: DropReason) => void;
  /** Called after every change queued: wakes the lane. */
  readonly queued: () => void;
  /** Whether updates go as JSON Patches from the state last delivered (see `DeltaShaper`). Default: false. */
  readonly deltaUpdates?: boolean | undefined;
}

/**
 * What one lane still owes its sink, and the rules that keep it minimal: the coalescing queue, the changes in
 * flight and the parts of a refused batch still to send (`InFlight`: ahead of the queue) and the
 * changes the sink refused (owed, retried when due or with their object's next change). It decides what the sink
 * gets of a change (`offer`) or of a complete list (`reconcile`), from what the receiver holds or is about to get
 * (queue, flight, emit cache) and the endpoint's `Admission`. It never sends, waits or decides on timing: that is
 * the lane's job.
 */
export class LaneBacklog {
  readonly #o: LaneBacklogOptions;
  readonly #queue: CoalescingQueue;
  /** The batch being sent and the parts of a refused one still to send. */
  readonly #flight = new InFlight();
  readonly #owed = new OwedItems();
  /** With `deltaUpdates`: decides each item's wire form as a batch is cut. */
  readonly #shaper: DeltaShaper | undefined;
  /** What the receiver holds or is about to get, read across the queue, the flight and the emit cache. */
  readonly #view: ReceiverView;

  constructor(options: LaneBacklogOptions) {
    this.#o = options;
    this.#queue = new CoalescingQueue({ cancelAddDelete: options.cancelAddDelete });
    this.#view = new ReceiverView({ queue: this.#queue, flight: this.#flight, owed: this.#owed, cache: options.cache, now: options.now });
    this.#shaper = options.deltaUpdates === true ? new DeltaShaper(options.cache) : undefined;
  }

  /** Changes waiting (after coalescing). */
  get queued(): number {
    return this.#queue.size;
  }

  /** Objects in the batch being sent, and in the parts of a refused one still to send. */
  get inFlight(): number {
    return this.#flight.size;
  }

  /** Changes refused and owed. */
  get owed(): number {
    return this.#owed.size;
  }

  /** Whether a part of a refused batch waits to be sent. */
  get hasParts(): boolean {
    return this.#flight.hasParts;
  }

  /** Whether a batch can be started: queued changes or parts of a refused batch. */
  get hasWork(): boolean {
    return this.#flight.hasParts || this.#queue.size > 0;
  }

  /** Nothing queued, in flight or left of a refused batch (owed changes do not count: they wait for their retry). */
  get isIdle(): boolean {
    return this.#queue.size === 0 && this.#flight.size === 0 && !this.#flight.hasParts;
  }

  /** Whether the next batch is as big as it gets (a part of a refused batch, or a full one): waiting only delays it. */
  isBatchReady(maxObjects: number, maxBytes: number): boolean {
    return this.#flight.hasParts || this.#queue.hasFullBatch(maxObjects, maxBytes);
  }

  /**
   * Queues what `change` means for the sink, if anything: first what the object still owes (it goes now, ahead of
   * this change), the delete of an old incarnation the receiver holds when the name was re-created, and the change
   * itself as the event the receiver would get (an add of an object it has is an update), unless it already has
   * exactly that (`unchanged`) or `admit` refuses it.
   */
  offer(change: Change, admit: Admission, options: OfferOptions = {}): void {
    // The object changed: what it still owes goes now, ahead of this change, and coalesces with it.
    this.#releaseOwed(change.key);
    const known = this.#view.known(change.key);
    let next = change;
    if (change.event !== 'delete') {
      if (known !== undefined && known.event !== 'delete' && known.uid !== change.uid) {
        // Same name, new uid: the receiver holds (or is about to get) the old incarnation. Announce its
        // delete first so it never keeps a ghost.
        const old = this.#view.deleteOf(change.key, known, 'recreated');
        const admitted = old === undefined ? undefined : this.admitted(old, admit);
        if (admitted !== undefined) this.enqueue(admitted);
      } else if (known !== undefined && known.source !== 'queue' && known.event !== 'delete') {
        if (change.event === 'add') next = Object.freeze({ ...change, event: 'update' });
      } else if (options.entersSet === true && change.event === 'update' && (known === undefined || known.event === 'delete')) {
        // The object just entered a filtered set: for this sink it is new.
        next = Object.freeze({ ...change, event: 'add' });
      }
      // Unchanged first: what the endpoint already has is counted as that, whatever its filters say.
      if (this.#isUnchanged(next)) {
        this.#o.dropped([next], 'unchanged');
        return;
      }
    }
    const admitted = this.admitted(next, admit);
    if (admitted !== undefined) this.enqueue(admitted);
  }

  /**
   * The object of `change` is outside the sink's set (a `filter` no longer matches it, or cannot be evaluated): if
   * the sink holds it or is about to get it, queues a delete carrying the last state it was sent (a pending add it
   * never got just vanishes); otherwise nothing is sent, counted as dropped for `reason`.
   */
  withdraw(change: Change, reason: OutsideReason, admit: Admission): void {
    this.#releaseOwed(change.key);
    const known = this.#view.known(change.key);
    const del = known === undefined || known.event === 'delete' ? undefined : this.#view.deleteOf(change.key, known, 'unmatched');
    if (del === undefined) {
      this.#o.dropped([change], reason);
      return;
    }
    const admitted = this.admitted(del, admit);
    if (admitted !== undefined) this.enqueue(admitted);
  }

  /**
   * The last state the sink was sent or is about to be sent of the object named `key` (queued, in flight, or
   * delivered), or undefined when it holds none: what an `updateFilter` compares an update with.
   */
  lastState(key: string): KubeObject | undefined {
    return this.#view.lastState(key);
  }

  /**
   * Queues, for every object of `resource` the sink holds or is about to get but `present` lacks, a delete carrying
   * its last state (`synthesized` says why). Returns how many were queued (a pending add the sink never got just
   * vanishes instead).
   */
  reconcile(resource: string, present: ReadonlySet<string>, synthesized: 'restart' | 'relist', admit: Admission): number {
    // After a relist, the next change of each object goes whole (deltaUpdates): a receiver that lost its state
    // gets it back without asking.
    this.#shaper?.forgetResource(resource);
    let sent = 0;
    for (const key of this.#view.keysOf(resource)) {
      if (present.has(key)) continue;
      this.#releaseOwed(key);
      const known = this.#view.known(key);
      if (known === undefined || known.event === 'delete') continue;
      const found = this.#view.deleteOf(key, known, synthesized);
      const del = found === undefined ? undefined : this.admitted(found, admit);
      if (del !== undefined && this.enqueue(del)) sent++;
    }
    return sent;
  }

  /**
   * A delete the watch source made up without the object's last state (a relist found it gone, its name was
   * re-created: the watcher keeps no objects): when the sink holds that incarnation or is about to get it, queues its
   * delete carrying the last state it was sent, as `reconcile` does for an object a list lacks; otherwise the sink
   * never had it and nothing is sent (`unchanged`).
   */
  retract(change: Change, admit: Admission): void {
    this.#releaseOwed(change.key);
    const known = this.#view.known(change.key);
    const del = known === undefined || known.event === 'delete' || known.uid !== change.uid ? undefined : this.#view.deleteOf(change.key, known, change.synthesized ?? 'relist');
    if (del === undefined) {
      this.#o.dropped([change], 'unchanged');
      return;
    }
    const admitted = this.admitted(del, admit);
    if (admitted !== undefined) this.enqueue(admitted);
  }

  /** What `admit` makes of a change: the change to queue, or undefined once a refusal is counted and acted on. */
  admitted(change: Change, admit: Admission): Change | undefined {
    const verdict = admit(change);
    if (typeof verdict !== 'string') return verdict;
    if (verdict !== 'unrouted') this.#o.dropped([change], verdict);
    // Only forgets the incarnation the delete is for (the cache checks the uid).
    if (change.event === 'delete') this.#o.cache.recordDelivered(change);
    return undefined;
  }

  /** Queues a change; false when it cancelled out against a pending add the sink never got. */
  enqueue(change: Change): boolean {
    const vanished = this.#queue.offer(change);
    if (vanished.length > 0) this.#o.dropped(vanished, 'coalesced');
    this.#o.queued();
    return !vanished.includes(change);
  }

  /** Moves owed changes whose retry is due at `now` (epoch ms) back into the queue; returns how many. */
  releaseDueOwed(now: number): number {
    const due = this.#owed.takeDue(now);
    let changes = 0;
    for (const chain of due) {
      this.#requeueInFront(chain);
      changes += chain.length;
    }
    return changes;
  }

  /** When the first owed change is due again, epoch ms; undefined when none is owed. */
  nextOwedDueAt(): number | undefined {
    return this.#owed.nextDueAt();
  }

  /** The first part of a refused batch still to send, if any (its changes are in flight already). */
  takePart(): Batch | undefined {
    return this.#flight.takePart();
  }

  /**
   * Cuts a batch from the queue of at most `maxObjects` changes and about `maxBytes`, created at `now` (epoch ms). Its
   * changes are in flight until they are acknowledged, owed, held back or dropped.
   */
  cut(maxObjects: number, maxBytes: number, now: number): Batch {
    const taken = this.#queue.take(maxObjects, maxBytes);
    const items = this.#shaper?.shape(taken.items) ?? taken.items;
    const bytes = taken.bytes;
    this.#flight.take(items);
    return { id: batchIdOf(items), items: Object.freeze(items), bytes, createdAt: now };
  }

  /** Sends `halves` (of a refused batch) next, in order, ahead of the queue; their changes stay in flight. */
  split(halves: readonly [readonly Change[], readonly Change[]], now: number): void {
    this.#flight.split(halves, now);
  }

  /** Records `items` as delivered: in the emit cache, out of flight. */
  ack(items: readonly Change[]): void {
    for (const change of items) {
      this.#o.cache.recordDelivered(change);
      this.#shaper?.delivered(change);
    }
    this.#flight.land(items);
  }

  /**
   * The receiver lacks the base of `items` (a resend answer): they go again whole, created at `now` (epoch ms), as
   * the next batch; their objects' next patches wait for a whole state delivered. They stay in flight as they are
   * (the lane settles the batch it cut, whose changes these are, when it is done with them).
   */
  resendWhole(items: readonly Change[], now: number): Batch {
    const whole = items.map((change) => {
      this.#shaper?.forget(change.key);
      return withForm(change, FULL_FORM);
    });
    return batchOf(whole, now);
  }

  /**
   * Keeps refused `items` owed from `dueAt` (epoch ms) on, out of flight. An object that changed while they were
   * being sent has its newer state queued: they go back in front of it instead, and travel with it.
   */
  owe(items: readonly Change[], dueAt: number): void {
    this.#flight.land(items);
    const byKey = new Map<string, Change[]>();
    for (const change of items) byKey.set(change.key, [...(byKey.get(change.key) ?? []), change]);
    for (const [key, chain] of byKey) {
      // The object changed while this was being sent: its newer state goes next, and carries this one along.
      if (this.#queue.chain(key).length > 0) this.#requeueInFront(chain);
      else {
        const vanished = this.#owed.owe(chain, dueAt);
        if (vanished.length > 0) this.#o.dropped(vanished, 'coalesced');
      }
    }
  }

  /**
   * Puts a batch the gate stopped back in order, ahead of what was queued for the same objects since. Once
   * `attempted`, a send may have landed although no answer came, so its adds go back as updates: as an add, a later
   * delete of the object would cancel out against it ("never got it") and the receiver would keep the object forever.
   */
  holdBack(items: readonly Change[], attempted: boolean): void {
    const newer = new Map<string, readonly Change[]>();
    for (const change of items) if (!newer.has(change.key)) newer.set(change.key, this.#queue.remove(change.key));
    for (const change of items) this.enqueue(attempted && change.event === 'add' ? Object.freeze({ ...change, event: 'update' }) : change);
    for (const changes of newer.values()) for (const change of changes) this.enqueue(change);
  }

  /** After the batch `first` ended: its changes leave flight, except those handed on to parts of a refused batch. */
  settle(first: Batch): void {
    this.#flight.settle(first);
  }

  /** Removes the parts of a refused batch still to send, and their changes from flight; returns those changes. */
  forgetParts(): Change[] {
    return this.#flight.forgetParts();
  }

  /**
   * Going standby: empties the queue, the owed changes and the parts of a refused batch, and returns them with the
   * changes in flight (which stay there until their attempt ends), so the lane can keep their deletes.
   */
  standDown(): Change[] {
    const left = [...this.#queue.drain(), ...this.#owed.drain(), ...this.#flight.changes()];
    this.forgetParts();
    return left;
  }

  /** Closing: empties the parts of a refused batch, the queue and the owed changes; returns their changes. */
  drain(): Change[] {
    const parts = this.forgetParts();
    return [...parts, ...this.#queue.drain(), ...this.#owed.drain()];
  }

  /**
   * Whether the sink already has (or is getting) exactly `change`. A queued update of the same incarnation that
   * `change` makes unnecessary (the object is back to what the sink has) is dropped as `unchanged` here.
   */
  #isUnchanged(change: Change): boolean {
    const chain = this.#queue.chain(change.key);
    const flying = this.#flight.get(change.key);
    if (flying !== undefined) {
      if (chain.length > 0) return false;
      return flying.event !== 'delete' && flying.uid === change.uid && flying.fingerprint === change.fingerprint;
    }
    if (!this.#o.cache.isFresh(change)) return false;
    // Back to what the sink already has: a pending update of the same incarnation is no longer needed.
    if (chain.length === 1 && chain[0]?.uid === change.uid && chain[0].event !== 'delete') {
      this.#o.dropped(this.#queue.remove(change.key), 'unchanged');
      return true;
    }
    return chain.length === 0;
  }

  /** Moves what `key` owes back into the queue, ahead of anything queued for it since. */
  #releaseOwed(key: string): void {
    if (this.#owed.size === 0) return;
    const chain = this.#owed.take(key);
    if (chain.length > 0) this.#requeueInFront(chain);
  }

  /** Queues `changes` (one object's, oldest first) before whatever is queued for that object already. */
  #requeueInFront(changes: readonly Change[]): void {
    const first = changes[0];
    if (first === undefined) return;
    const newer = this.#queue.remove(first.key);
    for (const change of changes) this.enqueue(change);
    for (const change of newer) this.enqueue(change);
  }
}
