import { deleteFromEntry, type EmitCache } from '../cache/emit-cache.js';
import { SinkError, type WatchProxyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { SINK_TIMEOUT_MARGIN_MS, type SendOutcome, type Sink } from '../sink/sink.js';
import type { Batch, Change, DropReason } from '../types.js';
import { batchIdOf } from './batch-id.js';
import { splitForBisection } from './bisect-plan.js';
import { CoalescingQueue, estimateBytes } from './coalescing-queue.js';
import type { DeadLetterLog } from './dead-letter-file.js';
import { OwedItems } from './owed-items.js';
import { backoffDelay, type RetryPolicy } from './retry-policy.js';
import { setLongTimeout } from '../internal/long-timeout.js';

/** Settings of one lane. Durations in milliseconds. */
export interface SinkLaneOptions {
  readonly sink: Sink;
  readonly cache: EmitCache;
  readonly logger: Logger;
  /**
   * A number: at most one batch starts per this many ms; a lane that started none for that long sends at once.
   * `'adaptive'`: a full batch (`maxObjects` or `maxBytes`) starts as soon as the previous one is done, a partial
   * one `ADAPTIVE_LINGER_MS` after the previous one started (at once when the lane was idle for that long).
   */
  readonly emitIntervalMs: number | 'adaptive';
  /** Most changes per batch. */
  readonly maxObjects: number;
  /** Most estimated JSON bytes per batch (a single larger change still goes, alone). */
  readonly maxBytes: number;
  /**
   * Each `send` attempt is aborted after this, or after the sink's own `timeoutMs` plus `SINK_TIMEOUT_MARGIN_MS`
   * when that is longer.
   */
  readonly attemptTimeoutMs: number;
  /** After aborting, how long to wait for a sink that ignores its signal before moving on. */
  readonly abortGraceMs: number;
  readonly retry: RetryPolicy;
  readonly now: () => number;
  readonly random: () => number;
  readonly hooks: LaneHooks;
  /**
   * Checked right before every send attempt (a leader-election gate's `open`); false holds the batch back.
   * Default: always true.
   */
  readonly mayDeliver?: (() => boolean) | undefined;
  /**
   * While standby, how long a delete seen is kept to be sent on activation (the previous holder may have
   * delivered the object without recording it in the shared cache yet), ms. Default: 60 000.
   */
  readonly handoverWindowMs?: number | undefined;
  /**
   * While still active but `mayDeliver` reads false (a gate closed on the clock before its transition), how often
   * to look at it again with work queued, ms. Default: `GATE_RECHECK_MS`.
   */
  readonly gateRecheckMs?: number | undefined;
  /**
   * Awaited right before every `send` attempt, inside the attempt's deadline: where the emit cache journals what
   * is about to reach the receiver, so a crash during the send cannot make it forget the object. Should not
   * reject (a rejection counts as a failed attempt). Default: none.
   */
  readonly beforeSend?: ((batch: Batch) => Promise<void>) | undefined;
  /**
   * How long a change the sink refused stays owed before it is tried again (it also goes with the object's next
   * change), ms. Default: `REJECTED_RETRY_MS`.
   */
  readonly rejectedRetryMs?: number | undefined;
  /** Where refused changes are written for operators (the dead-letter file). Default: none (logged only). */
  readonly deadLetter?: DeadLetterLog | undefined;
  /**
   * Whether an add and the delete of the same object, both still queued, cancel out (dropped as `coalesced`).
   * False sends both, as the original did. Default: true.
   */
  readonly cancelAddDelete?: boolean | undefined;
}

/**
 * How long a refused change waits before it is tried again by default, ms (5 minutes): a receiver that refuses
 * something usually needs a fix or a deploy, and trying every 5 minutes costs it little while bounding how long it
 * stays out of sync once fixed.
 */
export const REJECTED_RETRY_MS = 300_000;

/**
 * How often an active lane with work queued looks at a gate that reads closed again, ms. A gate can reopen without
 * a transition (a `LeaseElector` whose renewal succeeded just after its deadline passed), and nothing else would
 * wake the lane then. Half the elector's default retry period: a held-back batch waits about one renewal at most,
 * and a lane whose gate stays closed wakes once a second until the gate's transition makes it a standby.
 */
export const GATE_RECHECK_MS = 1000;

/**
 * With `emitIntervalMs: 'adaptive'`, how long after a batch started the next one waits when it is not full, ms.
 * Changes that arrive while a batch is in flight then share the next one instead of each taking a round trip,
 * at most ~100 partial batches per second per sink, and the wait adds at most this much latency under load (an
 * idle lane sends at once). Full batches do not wait: throughput is bounded by the sink's round trip, not by a
 * ticker. 10 ms is the low end of the 10-20 ms linger that keeps p50 <= 20 ms at 1,000 changes/s.
 */
export const ADAPTIVE_LINGER_MS = 10;

/** How a lane reports what happened; the WatchProxy turns these into events, stats and `onError`. */
export interface LaneHooks {
  emitted(sink: string, batch: Batch, attempts: number): void;
  dropped(sink: string, changes: readonly Change[], reason: DropReason): void;
  retrying(sink: string, info: { readonly batchId: string; readonly attempt: number; readonly delayMs: number; readonly error: Error }): void;
  error(error: WatchProxyError): void;
}

/** Counters of one lane; all monotonic except the gauges `queued`, `inFlight` and `cached`. */
export interface LaneStats {
  /** Changes waiting (after coalescing): bounded by the sink's live objects. */
  readonly queued: number;
  /** Objects in the batch being sent (including its retries). */
  readonly inFlight: number;
  /** Objects in the sink's emit cache: what the receiver is known to hold. */
  readonly cached: number;
  /** Changes the sink confirmed. */
  readonly delivered: number;
  /** Batches cut (a retried batch counts once). */
  readonly batches: number;
  /** Failed attempts that were retried. */
  readonly retries: number;
  /** Changes the sink refused on their own or with the whole endpoint (each refusal counts; they stay owed). */
  readonly rejected: number;
  /** Changes refused and owed: tried again every `rejectedRetryMs` and with their object's next change. */
  readonly owed: number;
  /** Dead-letter records written, and discarded by rotation or a failed write (zeros without a file). */
  readonly deadLetters: { readonly written: number; readonly discarded: number };
  /** Changes not delivered to this sink, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
}

/**
 * Decides whether this endpoint receives a change, judged on the event it would receive: after the lane's
 * rewrites (a re-seen add is an update to an endpoint that has the object), and for the changes the lane makes up
 * (missed deletes, the delete of a re-created name). Returns the change to queue (possibly reshaped to the
 * current settings), a `DropReason` (not sent, counted), or `'unrouted'` (not this endpoint's: not sent, not
 * counted). A refused delete also ends the endpoint's record of the object: it will never hear of it again.
 */
export type Admission = (change: Change) => Change | DropReason | 'unrouted';

const ADMIT_ALL: Admission = (change) => change;

type Known = { readonly event: Change['event']; readonly uid: string; readonly source: 'queue' | 'flight' | 'cache' };

class Aborted extends Error {}

/** The earlier of two optional delays, ms; undefined when neither is set. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

function sumBytes(changes: readonly Change[]): number {
  let sum = 0;
  for (const change of changes) sum += estimateBytes(change);
  return sum;
}

/**
 * One sink's delivery lane: coalescing queue → batcher (emitInterval or adaptive, max objects/bytes) → driver (attempt
 * timeout with AbortSignal, retries with backoff and full jitter until delivered) → ack into the sink's emit
 * cache. A refused batch is split (bisection; halving on "too large") until what the sink refuses on its own is
 * found; that stays owed (dead-letter file, retried every `rejectedRetryMs` and with its next change) and the rest
 * is delivered. Each sink has its own lane, so a slow or dead sink only ever delays itself. `offer` never blocks.
 */
export class SinkLane {
  readonly #o: SinkLaneOptions;
  readonly #queue: CoalescingQueue;
  readonly #flight = new Map<string, Change>();
  readonly #lifecycle = new AbortController();
  readonly #dropped: Partial<Record<DropReason, number>> = {};
  #delivered = 0;
  #batches = 0;
  #retries = 0;
  #rejected = 0;
  #lastBatchAt = Number.NEGATIVE_INFINITY;
  #flushing = 0;
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  #loop: Promise<void> | undefined;
  #closed = false;
  /** False while standby: nothing is queued or sent; deletes are remembered for the handover. */
  #active = true;
  /** Aborted when the lane goes standby: cuts an attempt in flight. */
  #activity = new AbortController();
  /** Deletes seen while standby, by key and uid, oldest first. */
  readonly #handover = new Map<string, Change>();
  /** Parts of a refused batch still to send, in order, ahead of the queue; their changes stay in `#flight`. */
  #parts: Batch[] = [];
  readonly #owed = new OwedItems();
  /** `maxBytes`, lowered when the sink says a batch is too large. */
  #maxBytes: number;
  readonly #attemptTimeoutMs: number;

  constructor(options: SinkLaneOptions) {
    this.#o = options;
    this.#maxBytes = options.maxBytes;
    const own = options.sink.timeoutMs;
    const fromSink = typeof own === 'number' && Number.isFinite(own) && own > 0 ? own + SINK_TIMEOUT_MARGIN_MS : 0;
    this.#attemptTimeoutMs = Math.max(options.attemptTimeoutMs, fromSink);
    this.#queue = new CoalescingQueue({ cancelAddDelete: options.cancelAddDelete });
  }

  get name(): string {
    return this.#o.sink.name;
  }

  /** Starts the delivery loop. */
  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => {
      // The loop catches everything itself; reaching here is a bug, but it must still not crash the host.
      this.#o.logger.error({ err: error }, 'delivery loop failed');
    });
  }

  /** False while standby (see `setActive`). */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Standby (`false`): aborts an attempt in flight and empties the queue at once; while standby nothing is queued
   * or sent, only deletes are remembered (for `handoverWindowMs`). Active (`true`): queues the remembered deletes
   * and resumes; the caller then replays the current objects (and reconciles) against the cache it loaded, which
   * re-creates every add and update the standby period skipped, so nothing is lost, only deferred.
   */
  setActive(active: boolean): void {
    if (active === this.#active || this.#closed) return;
    this.#active = active;
    if (!active) {
      this.#activity.abort(new Aborted('lane went standby'));
      // Owed changes are, like queued ones, not in the cache: the replay on activation re-creates them.
      for (const change of [...this.#queue.drain(), ...this.#owed.drain()]) if (change.event === 'delete') this.#remember(change);
      for (const change of this.#flight.values()) if (change.event === 'delete') this.#remember(change);
      this.#forgetParts();
    } else {
      this.#activity = new AbortController();
      this.#prune();
      for (const change of this.#handover.values()) this.#enqueue(change);
      this.#handover.clear();
    }
    this.#kick();
  }

  /**
   * Queues a change for this sink. Cheap and synchronous; decides here whether the sink needs it at all, and
   * `admit` whether it may have it as the event it would receive (default: everything).
   */
  offer(change: Change, admit: Admission = ADMIT_ALL): void {
    if (this.#closed) {
      this.#drop([change], 'shutdown');
      return;
    }
    if (!this.#active) {
      if (change.event === 'delete') {
        const admitted = this.#admitted(change, admit);
        if (admitted !== undefined) this.#remember(admitted);
      }
      return;
    }
    // The object changed: what it still owes goes now, ahead of this change, and coalesces with it.
    this.#releaseOwed(change.key);
    const known = this.#known(change.key);
    let next = change;
    if (change.event !== 'delete') {
      if (known !== undefined && known.event !== 'delete' && known.uid !== change.uid) {
        // Same name, new uid: the receiver holds (or is about to get) the old incarnation. Announce its
        // delete first so it never keeps a ghost.
        const old = this.#deleteOf(change.key, known, 'recreated');
        const admitted = old === undefined ? undefined : this.#admitted(old, admit);
        if (admitted !== undefined) this.#enqueue(admitted);
      } else if (known !== undefined && known.source !== 'queue' && known.event !== 'delete') {
        if (change.event === 'add') next = Object.freeze({ ...change, event: 'update' });
      }
      // Unchanged first: what the endpoint already has is counted as that, whatever its filters say.
      if (this.#isUnchanged(next)) {
        this.#drop([next], 'unchanged');
        return;
      }
    }
    const admitted = this.#admitted(next, admit);
    if (admitted !== undefined) this.#enqueue(admitted);
  }

  /**
   * Ends this sink's record of an object whose delete it will never receive (a filtered event): a later relist
   * or restart must not find it missing and decide about its delete again.
   */
  forget(key: string, uid: string): void {
    const entry = this.#o.cache.get(key);
    if (entry?.uid === uid) this.#o.cache.recordDelivered(deleteFromEntry(key, entry, 'relist', this.#o.now()));
  }

  /**
   * After a complete list of `resource`: every object this sink holds (or is about to get) that the list no
   * longer contains is sent as a delete carrying its last state: deletes missed while down or disconnected.
   * Returns how many deletes were queued (a pending add the sink never got just vanishes instead).
   */
  reconcile(resource: string, present: ReadonlySet<string>, synthesized: 'restart' | 'relist', admit: Admission = ADMIT_ALL): number {
    // A standby's cache is not what the receiver holds; activation reconciles against the shared one.
    if (!this.#active) return 0;
    const candidates = new Set<string>();
    for (const [key, entry] of this.#o.cache.entries()) if (entry.resource === resource) candidates.add(key);
    for (const key of this.#queue.keys()) if (this.#queue.last(key)?.resource === resource) candidates.add(key);
    for (const [key, change] of this.#flight) if (change.resource === resource) candidates.add(key);
    for (const key of this.#owed.keys()) if (this.#owed.last(key)?.resource === resource) candidates.add(key);
    let sent = 0;
    for (const key of candidates) {
      if (present.has(key)) continue;
      this.#releaseOwed(key);
      const known = this.#known(key);
      if (known === undefined || known.event === 'delete') continue;
      const found = this.#deleteOf(key, known, synthesized);
      const del = found === undefined ? undefined : this.#admitted(found, admit);
      if (del !== undefined && this.#enqueue(del)) sent++;
    }
    return sent;
  }

  /**
   * Resolves once nothing is queued or in flight (owed changes wait for their retry: they do not count). Batches
   * go back to back meanwhile (no interval wait) unless `keepInterval`: a shutdown drain keeps the one batch per
   * interval a rate-limited receiver relies on. `signal` gives up waiting (it resolves then too): batches respect
   * the interval again instead of skipping it until the lane happens to be idle.
   */
  flush(signal?: AbortSignal, options: { readonly keepInterval?: boolean } = {}): Promise<void> {
    if (this.#isIdle() || signal?.aborted === true) return Promise.resolve();
    const skip = options.keepInterval !== true;
    if (skip) this.#flushing++;
    this.#kick();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', giveUp);
        if (skip) this.#flushing--;
        resolve();
      };
      const giveUp = (): void => {
        this.#idleWaiters = this.#idleWaiters.filter((waiter) => waiter !== done);
        done();
      };
      signal?.addEventListener('abort', giveUp, { once: true });
      this.#idleWaiters.push(done);
    });
  }

  /**
   * Stops the lane: aborts an attempt in flight and any backoff, and counts what is left (queued, parts of a
   * refused batch, owed) as dropped with reason `shutdown` (not recorded as delivered, so a restart with the same
   * stateDir sends it again).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#lifecycle.abort(new Aborted('lane closed'));
      this.#kick();
    }
    await this.#loop;
    const parts = this.#forgetParts();
    const left = [...parts, ...this.#queue.drain(), ...this.#owed.drain()];
    if (left.length > 0) this.#drop(left, 'shutdown');
    this.#settleIdle();
    await this.#o.deadLetter?.settled();
  }

  stats(): LaneStats {
    return {
      queued: this.#queue.size,
      inFlight: this.#flight.size,
      cached: this.#o.cache.size,
      delivered: this.#delivered,
      batches: this.#batches,
      retries: this.#retries,
      rejected: this.#rejected,
      owed: this.#owed.size,
      deadLetters: this.#o.deadLetter?.stats() ?? { written: 0, discarded: 0 },
      dropped: { ...this.#dropped },
    };
  }

  /** What `admit` makes of a change: the change to queue, or undefined once a refusal is counted and acted on. */
  #admitted(change: Change, admit: Admission): Change | undefined {
    const verdict = admit(change);
    if (typeof verdict !== 'string') return verdict;
    if (verdict !== 'unrouted') this.#drop([change], verdict);
    // Only forgets the incarnation the delete is for (the cache checks the uid).
    if (change.event === 'delete') this.#o.cache.recordDelivered(change);
    return undefined;
  }

  #remember(change: Change): void {
    const id = `${change.key}\u0000${change.uid}`;
    this.#handover.delete(id);
    this.#handover.set(id, change);
    this.#prune();
  }

  /** Forgets deletes older than the handover window: the holder then had time to record them as delivered. */
  #prune(): void {
    const oldest = this.#o.now() - (this.#o.handoverWindowMs ?? 60_000);
    for (const [id, change] of this.#handover) {
      if (change.observedAt >= oldest) break;
      this.#handover.delete(id);
    }
  }

  #mayDeliver(): boolean {
    return this.#active && (this.#o.mayDeliver?.() ?? true);
  }

  #known(key: string): Known | undefined {
    const queued = this.#queue.last(key);
    if (queued !== undefined) return { event: queued.event, uid: queued.uid, source: 'queue' };
    const flying = this.#flight.get(key);
    if (flying !== undefined) return { event: flying.event, uid: flying.uid, source: 'flight' };
    const cached = this.#o.cache.get(key);
    if (cached !== undefined) return { event: 'update', uid: cached.uid, source: 'cache' };
    return undefined;
  }

  #deleteOf(key: string, known: Known, synthesized: NonNullable<Change['synthesized']>): Change | undefined {
    const now = this.#o.now();
    const last = known.source === 'queue' ? this.#queue.last(key) : known.source === 'flight' ? this.#flight.get(key) : undefined;
    if (last !== undefined) return Object.freeze({ ...last, event: 'delete', observedAt: now, synthesized });
    const entry = this.#o.cache.get(key);
    return entry === undefined ? undefined : deleteFromEntry(key, entry, synthesized, now);
  }

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
      this.#drop(this.#queue.remove(change.key), 'unchanged');
      return true;
    }
    return chain.length === 0;
  }

  /** Queues a change; false when it cancelled out against a pending add the sink never got. */
  #enqueue(change: Change): boolean {
    const vanished = this.#queue.offer(change);
    if (vanished.length > 0) this.#drop(vanished, 'coalesced');
    this.#kick();
    return !vanished.includes(change);
  }

  #drop(changes: readonly Change[], reason: DropReason): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + changes.length;
    this.#o.hooks.dropped(this.name, changes, reason);
  }

  #kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for `ms` (forever when undefined) or until kicked. Timers are unref'd. */
  #pause(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setLongTimeout(done, Math.max(0, ms)).unref();
      this.#wake = done;
      function done(): void {
        timer?.clear();
        resolve();
      }
    });
  }

  #isIdle(): boolean {
    return this.#queue.size === 0 && this.#flight.size === 0 && this.#parts.length === 0;
  }

  #settleIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      this.#releaseDueOwed();
      const hasWork = this.#parts.length > 0 || this.#queue.size > 0;
      if (!hasWork || !this.#mayDeliver()) {
        if (this.#parts.length > 0) {
          // The gate closed between the parts of a refused batch: they go back like any held-back batch.
          this.#holdBack(this.#forgetParts(), false);
        }
        if (this.#isIdle()) this.#settleIdle();
        // Nothing queued, or standby: an offer or setActive (the gate's transition) wakes the lane. Work queued
        // behind a gate that reads closed while we are still active: the gate may reopen without any transition
        // (a late renewal), so look again after a while instead of waiting for an offer that may never come.
        const stalled = this.#queue.size > 0 && this.#active;
        await this.#pause(earliest(stalled ? (this.#o.gateRecheckMs ?? GATE_RECHECK_MS) : undefined, this.#untilOwedDue()));
        continue;
      }
      const wait = this.#waitBeforeBatch();
      if (wait > 0 && this.#flushing === 0) {
        await this.#pause(earliest(wait, this.#untilOwedDue()));
        continue;
      }
      this.#lastBatchAt = this.#o.now();
      await this.#deliver(this.#parts.shift() ?? this.#cut());
    }
  }

  /** Takes the next batch from the queue; its changes are in flight until they are acknowledged, owed or dropped. */
  #cut(): Batch {
    const { items, bytes } = this.#queue.take(this.#o.maxObjects, this.#maxBytes);
    for (const change of items) this.#flight.set(change.key, change);
    this.#batches++;
    return { id: batchIdOf(items), items: Object.freeze(items), bytes, createdAt: this.#o.now() };
  }

  /** How long a batch must still wait, ms (0 or less: it may start now). */
  #waitBeforeBatch(): number {
    const interval = this.#o.emitIntervalMs;
    if (interval !== 'adaptive') return this.#lastBatchAt + interval - this.#o.now();
    // Waiting cannot make a full batch (or a part of a refused one) bigger, only later.
    if (this.#parts.length > 0 || this.#queue.hasFullBatch(this.#o.maxObjects, this.#maxBytes)) return 0;
    return this.#lastBatchAt + ADAPTIVE_LINGER_MS - this.#o.now();
  }

  /** ms until the first owed change is due again; undefined when none is owed. */
  #untilOwedDue(): number | undefined {
    const at = this.#owed.nextDueAt();
    return at === undefined ? undefined : at - this.#o.now();
  }

  /** Moves owed changes whose retry is due back into the queue. */
  #releaseDueOwed(): void {
    const due = this.#owed.takeDue(this.#o.now());
    if (due.length === 0) return;
    let changes = 0;
    for (const chain of due) {
      this.#requeueInFront(chain);
      changes += chain.length;
    }
    this.#o.logger.info({ changes, owed: this.#owed.size }, 'trying refused changes again');
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
    for (const change of changes) this.#enqueue(change);
    for (const change of newer) this.#enqueue(change);
  }

  /** Removes the parts of a refused batch still to send, and their changes from `#flight`; returns those changes. */
  #forgetParts(): Change[] {
    const items = this.#parts.flatMap((part) => part.items);
    this.#parts = [];
    for (const change of items) if (this.#flight.get(change.key) === change) this.#flight.delete(change.key);
    return items;
  }

  async #deliver(first: Batch): Promise<void> {
    let batch = first;
    let attempt = 0;
    let failures = 0;
    try {
      for (;;) {
        if (this.#closed) {
          this.#drop(batch.items, 'shutdown');
          return;
        }
        if (!this.#mayDeliver()) {
          this.#holdBack(batch.items, attempt > 0);
          return;
        }
        attempt++;
        const outcome = await this.#attempt(batch, attempt);
        if (outcome === undefined) {
          if (this.#closed) this.#drop(batch.items, 'shutdown');
          else this.#holdBack(batch.items, true);
          return;
        }
        if (outcome.status === 'delivered') {
          this.#ack(batch.items);
          this.#o.hooks.emitted(this.name, batch, attempt);
          return;
        }
        if (outcome.status === 'rejected') {
          this.#refused(batch, outcome, attempt);
          return;
        }
        if (outcome.status === 'partial') {
          const retry = new Set(outcome.retry.filter((i) => Number.isInteger(i) && i >= 0 && i < batch.items.length));
          const done = batch.items.filter((_c, i) => !retry.has(i));
          const again = batch.items.filter((_c, i) => retry.has(i));
          this.#ack(done);
          if (done.length > 0) this.#o.hooks.emitted(this.name, { ...batch, items: done }, attempt);
          if (again.length === 0) return;
          batch = { id: batchIdOf(again), items: Object.freeze(again), bytes: Math.round((batch.bytes * again.length) / batch.items.length), createdAt: this.#o.now() };
        }
        failures++;
        this.#retries++;
        const error = outcome.error;
        const retryAfter = outcome.status === 'retryable' ? outcome.retryAfterMs : undefined;
        const delayMs = backoffDelay(failures, this.#o.retry, this.#o.random, retryAfter);
        this.#o.hooks.retrying(this.name, { batchId: batch.id, attempt, delayMs, error });
        await this.#sleep(delayMs);
      }
    } finally {
      // Changes handed on to parts of a refused batch stay in flight until those parts are sent.
      const handedOn = new Set(this.#parts.flatMap((part) => part.items));
      for (const change of first.items) {
        if (!handedOn.has(change) && this.#flight.get(change.key) === change) this.#flight.delete(change.key);
      }
    }
  }

  /**
   * The sink refused `batch`. Unless the whole endpoint refuses data, a batch of several objects is split in two and
   * both halves go next, in order (a "too large" answer also lowers the size of the batches cut from now on), so
   * bisection finds what the sink refuses on its own and everything else is delivered. What is refused on its own,
   * or by the endpoint, stays owed.
   */
  #refused(batch: Batch, outcome: Extract<SendOutcome, { status: 'rejected' }>, attempt: number): void {
    const kind = outcome.kind ?? 'content';
    const halves = kind === 'endpoint' ? undefined : splitForBisection(batch.items);
    if (halves !== undefined) {
      if (kind === 'too-large') this.#lowerMaxBytes(batch.bytes, outcome.code);
      this.#o.logger.debug(
        { batchId: batch.id, items: batch.items.length, code: outcome.code, kind },
        'sink refused a batch; sending it in two parts to find what it refuses',
      );
      const now = this.#o.now();
      const [a, b] = halves.map((items) => ({ id: batchIdOf(items), items: Object.freeze([...items]), bytes: sumBytes(items), createdAt: now }));
      this.#parts.unshift(a as Batch, b as Batch);
      return;
    }
    this.#owe(batch, outcome, attempt, kind);
  }

  /** After "too large": batches from now on are cut at about half the refused size (never raised again). */
  #lowerMaxBytes(refusedBytes: number, code: number | string | undefined): void {
    const next = Math.max(1, Math.floor(refusedBytes / 2));
    if (next >= this.#maxBytes) return;
    this.#maxBytes = next;
    this.#o.logger.warn(
      { refusedBytes, maxBytes: next, code },
      'sink refused a batch as too large: cutting smaller batches from now on (set emitBatchMaxBytes below the receiver\'s body limit)',
    );
  }

  /** Keeps refused changes owed: counted, logged by key (never content), written to the dead-letter file. */
  #owe(batch: Batch, outcome: Extract<SendOutcome, { status: 'rejected' }>, attempt: number, kind: NonNullable<typeof outcome.kind>): void {
    const items = batch.items;
    this.#rejected += items.length;
    const retryMs = this.#o.rejectedRetryMs ?? REJECTED_RETRY_MS;
    const what = items.length === 1 ? `${items[0]?.key} (uid ${items[0]?.uid})` : `${items.length} changes (${items[0]?.key} first)`;
    const answer = outcome.code === undefined ? '' : ` with ${outcome.code}`;
    this.#o.hooks.error(
      new SinkError(
        'WP_ERR_SINK_REJECTED',
        `sink "${this.name}" refused ${what}${answer}: ${outcome.error.message}; kept owed, tried again in ${Math.round(retryMs / 1000)} s or with its next change`,
        { sink: this.name, batchId: batch.id, attempt, retryable: false },
        { cause: outcome.error },
      ),
    );
    const time = new Date(this.#o.now()).toISOString();
    for (const change of items) {
      this.#o.deadLetter?.record({
        time,
        endpoint: this.name,
        key: change.key,
        resource: change.resource,
        namespace: change.namespace,
        name: change.name,
        uid: change.uid,
        event: change.event,
        kind,
        ...(outcome.code === undefined ? {} : { code: outcome.code }),
        reason: outcome.error.message,
      });
    }
    for (const change of items) if (this.#flight.get(change.key) === change) this.#flight.delete(change.key);
    const dueAt = this.#o.now() + retryMs;
    const byKey = new Map<string, Change[]>();
    for (const change of items) byKey.set(change.key, [...(byKey.get(change.key) ?? []), change]);
    for (const [key, chain] of byKey) {
      // The object changed while this was being sent: its newer state goes next, and carries this one along.
      if (this.#queue.chain(key).length > 0) this.#requeueInFront(chain);
      else {
        const vanished = this.#owed.owe(chain, dueAt);
        if (vanished.length > 0) this.#drop(vanished, 'coalesced');
      }
    }
  }

  /**
   * A batch the gate stopped: standby remembers its deletes (its adds and updates come back with the replay on
   * activation); still active (the gate closed on the clock before its transition ran) puts it back in order,
   * ahead of what was queued for the same objects since. Once `attempted`, a send may have landed although no
   * answer came, so its adds go back as updates: as an add, a later delete of the object would cancel out against
   * it ("never got it") and the receiver would keep the object forever.
   */
  #holdBack(items: readonly Change[], attempted: boolean): void {
    if (!this.#active) {
      for (const change of items) if (change.event === 'delete') this.#remember(change);
      return;
    }
    const newer = new Map<string, readonly Change[]>();
    for (const change of items) if (!newer.has(change.key)) newer.set(change.key, this.#queue.remove(change.key));
    for (const change of items) this.#enqueue(attempted && change.event === 'add' ? Object.freeze({ ...change, event: 'update' }) : change);
    for (const changes of newer.values()) for (const change of changes) this.#enqueue(change);
  }

  #ack(items: readonly Change[]): void {
    for (const change of items) {
      this.#o.cache.recordDelivered(change);
      if (this.#flight.get(change.key) === change) this.#flight.delete(change.key);
    }
    this.#delivered += items.length;
  }

  /** Backoff sleep that only a close or going standby cuts short (a flush must not skip backoff: that would hammer). */
  #sleep(ms: number): Promise<void> {
    const signals = [this.#lifecycle.signal, this.#activity.signal];
    if (signals.some((signal) => signal.aborted)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setLongTimeout(done, ms).unref();
      for (const signal of signals) signal.addEventListener('abort', done, { once: true });
      function done(): void {
        timer.clear();
        for (const signal of signals) signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  /** One `send` with its own AbortSignal and deadline. Resolves to `undefined` if the lane was closed. */
  async #attempt(batch: Batch, attempt: number): Promise<SendOutcome | undefined> {
    const controller = new AbortController();
    const lifecycle = this.#lifecycle.signal;
    const deadline = this.#o.now() + this.#attemptTimeoutMs;
    const details = { sink: this.name, batchId: batch.id, attempt, retryable: true };
    let timedOut = false;
    const cleanups: (() => void)[] = [];
    // Settles when the attempt is aborted and the sink has had abortGraceMs to notice: a sink that ignores
    // its signal cannot hold the lane forever.
    const abandoned = new Promise<'abandoned'>((resolve) => {
      const onAbort = (): void => {
        const grace = setLongTimeout(() => resolve('abandoned'), this.#o.abortGraceMs).unref();
        cleanups.push(() => grace.clear());
      };
      controller.signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => controller.signal.removeEventListener('abort', onAbort));
    });
    const activity = this.#activity.signal;
    const onClose = (): void => controller.abort(lifecycle.aborted ? lifecycle.reason : activity.reason);
    if (lifecycle.aborted || activity.aborted) return undefined;
    lifecycle.addEventListener('abort', onClose, { once: true });
    activity.addEventListener('abort', onClose, { once: true });
    const timer = setLongTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`attempt timed out after ${this.#attemptTimeoutMs} ms`));
    }, this.#attemptTimeoutMs).unref();
    const logger = this.#o.logger.child({ batchId: batch.id, attempt });
    try {
      const sent = Promise.resolve()
        .then(() => this.#o.beforeSend?.(batch))
        .then(() => {
          // The interval is a promise to the receiver, so it runs from the send itself: a slow hook before it
          // (the journal's fsync) must not shorten the gap to the next send.
          this.#lastBatchAt = this.#o.now();
          return this.#o.sink.send(batch, { signal: controller.signal, attempt, deadline, logger });
        })
        .then(
          (outcome) => ({ outcome }),
          (error: unknown) => ({ error }),
        );
      const result = await Promise.race([sent, abandoned]);
      if (lifecycle.aborted || activity.aborted) return undefined;
      if (timedOut) {
        if (result === 'abandoned') logger.error({}, 'sink ignored its AbortSignal; moving on (see the sink contract)');
        const error = new SinkError('WP_ERR_SINK_TIMEOUT', `sink "${this.name}" attempt ${attempt} timed out after ${this.#attemptTimeoutMs} ms`, details);
        this.#o.hooks.error(error);
        return { status: 'retryable', error };
      }
      if (result === 'abandoned') return undefined;
      if ('error' in result) {
        const error = new SinkError('WP_ERR_SINK_SEND', `sink "${this.name}" send threw: ${String((result.error as Error | undefined)?.message ?? result.error)}`, details, { cause: result.error });
        this.#o.hooks.error(error);
        return { status: 'retryable', error };
      }
      const outcome = result.outcome as SendOutcome | undefined;
      if (outcome === undefined || typeof outcome !== 'object' || !('status' in outcome)) {
        const error = new SinkError('WP_ERR_SINK_SEND', `sink "${this.name}" send resolved without an outcome`, details);
        this.#o.hooks.error(error);
        return { status: 'retryable', error };
      }
      if (outcome.status === 'retryable' || outcome.status === 'partial') {
        this.#o.hooks.error(new SinkError('WP_ERR_SINK_SEND', `sink "${this.name}": ${outcome.error.message}`, details, { cause: outcome.error }));
      }
      return outcome;
    } finally {
      timer.clear();
      lifecycle.removeEventListener('abort', onClose);
      activity.removeEventListener('abort', onClose);
      for (const cleanup of cleanups) cleanup();
    }
  }
}
