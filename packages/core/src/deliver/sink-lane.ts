import { deleteFromEntry } from '../cache/emit-cache.js';
import type { Batch, Change, DropReason, KubeObject, OutsideReason } from '../types.js';
import { batchIdOf } from './batch-id.js';
import { BatchPacer } from './batch-pacer.js';
import { HandoverBuffer } from './handover-buffer.js';
import { LaneBacklog, type Admission, type OfferOptions } from './lane-backlog.js';
import { GATE_RECHECK_MS, type LaneStats, type SinkLaneOptions } from './lane-contract.js';
import { LaneWaits } from './lane-waits.js';
import { planOutcome } from './outcome-plan.js';
import { RefusalHandler } from './refusal-handler.js';
import { backoffDelay } from './retry-policy.js';
import { attemptTimeoutFor, sendAttempt, type SendAttemptContext } from './send-attempt.js';

const ADMIT_ALL: Admission = (change) => change;

class Aborted extends Error {}

/** The earlier of two optional delays, ms; undefined when neither is set. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/**
 * One sink's delivery lane, the scheduler of its backlog (`LaneBacklog`): coalescing queue → batcher (max
 * objects/bytes, paced by `BatchPacer`) → driver (one `sendAttempt` at a time, retries with backoff and full jitter
 * until delivered, what each outcome means in `planOutcome`) → ack into the sink's emit cache. A refused batch is
 * split (bisection; halving on "too large") until what the sink refuses on its own is found; that stays owed
 * (dead-letter file, retried every `rejectedRetryMs` and with its next change) and the rest is delivered. While
 * standby it only keeps deletes for the handover (`HandoverBuffer`). Its waits (pause, backoff, flush callers) are
 * `LaneWaits`. Each sink has its own lane, so a slow or dead sink only ever delays itself. `offer` never blocks.
 */
export class SinkLane {
  readonly #o: SinkLaneOptions;
  readonly #backlog: LaneBacklog;
  readonly #lifecycle = new AbortController();
  readonly #dropped: Partial<Record<DropReason, number>> = {};
  #delivered = 0;
  #batches = 0;
  #retries = 0;
  #flushing = 0;
  readonly #waits = new LaneWaits();
  readonly #pacer: BatchPacer;
  #loop: Promise<void> | undefined;
  #closed = false;
  /** False while standby: nothing is queued or sent; deletes are remembered for the handover. */
  #active = true;
  /** Aborted when the lane goes standby: cuts an attempt in flight. */
  #activity = new AbortController();
  /** Deletes seen while standby. */
  readonly #handover: HandoverBuffer;
  /** Splits refused batches, keeps what is refused on its own owed, and lowers `maxBytes` after "too large". */
  readonly #refusals: RefusalHandler;
  readonly #attempt: SendAttemptContext;

  constructor(options: SinkLaneOptions) {
    this.#o = options;
    this.#pacer = new BatchPacer(options.emitIntervalMs, options.now);
    this.#backlog = new LaneBacklog({
      cache: options.cache,
      now: options.now,
      cancelAddDelete: options.cancelAddDelete,
      deltaUpdates: options.deltaUpdates,
      dropped: (changes, reason) => this.#drop(changes, reason),
      queued: () => this.#waits.kick(),
    });
    this.#refusals = new RefusalHandler({
      sinkName: options.sink.name,
      backlog: this.#backlog,
      logger: options.logger,
      now: options.now,
      maxBytes: options.maxBytes,
      rejectedRetryMs: options.rejectedRetryMs,
      deadLetter: options.deadLetter,
      onError: (error) => this.#o.hooks.error(error),
    });
    this.#handover = new HandoverBuffer({ windowMs: options.handoverWindowMs, now: options.now });
    this.#attempt = {
      sink: options.sink,
      timeoutMs: attemptTimeoutFor(options.sink, options.attemptTimeoutMs),
      abortGraceMs: options.abortGraceMs,
      now: options.now,
      logger: options.logger,
      beforeSend: options.beforeSend,
      lifecycle: this.#lifecycle.signal,
      // The interval is a promise to the receiver, so it runs from the send itself: a slow hook before it
      // (the journal's fsync) must not shorten the gap to the next send.
      sending: () => this.#pacer.started(),
      onError: (error) => this.#o.hooks.error(error),
    };
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
      for (const change of this.#backlog.standDown()) if (change.event === 'delete') this.#handover.remember(change);
    } else {
      this.#activity = new AbortController();
      for (const change of this.#handover.take()) this.#backlog.enqueue(change);
    }
    this.#waits.kick();
  }

  /**
   * Queues a change for this sink. Cheap and synchronous; decides here whether the sink needs it at all, and
   * `admit` whether it may have it as the event it would receive (default: everything).
   */
  offer(change: Change, admit: Admission = ADMIT_ALL, options: OfferOptions = {}): void {
    if (this.#closed) {
      this.#drop([change], 'shutdown');
      return;
    }
    if (!this.#active) {
      if (change.event === 'delete') {
        const admitted = this.#backlog.admitted(change, admit);
        if (admitted !== undefined) this.#handover.remember(admitted);
      }
      return;
    }
    this.#backlog.offer(change, admit, options);
  }

  /**
   * The object of `change` is outside this sink's set (a `filter` no longer matches it, or cannot be evaluated): a
   * sink that holds it gets a delete carrying the last state it was sent; otherwise nothing is sent, counted as
   * dropped for `reason`.
   */
  withdraw(change: Change, reason: OutsideReason, admit: Admission = ADMIT_ALL): void {
    if (this.#closed) {
      this.#drop([change], 'shutdown');
      return;
    }
    // A standby holds nothing: activation replays every object against the loaded cache, which withdraws again.
    if (!this.#active) return;
    this.#backlog.withdraw(change, reason, admit);
  }

  /**
   * A delete the watch source synthesized without the object's last state (`LaneBacklog.retract`): a sink holding
   * that incarnation gets a delete carrying the last state it was sent; one that never had it, nothing.
   */
  retract(change: Change, admit: Admission = ADMIT_ALL): void {
    if (this.#closed) {
      this.#drop([change], 'shutdown');
      return;
    }
    // A standby's cache is not what the receiver holds: remembered as watched deletes are, for the takeover.
    if (!this.#active) {
      const admitted = this.#backlog.admitted(change, admit);
      if (admitted !== undefined) this.#handover.remember(admitted);
      return;
    }
    this.#backlog.retract(change, admit);
  }

  /** The last state this sink was sent or is about to be sent of the object named `key` (see `updateFilter`). */
  lastState(key: string): KubeObject | undefined {
    return this.#backlog.lastState(key);
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
    return this.#backlog.reconcile(resource, present, synthesized, admit);
  }

  /**
   * Resolves once nothing is queued or in flight (owed changes wait for their retry: they do not count). Batches
   * go back to back meanwhile (no interval wait) unless `keepInterval`: a shutdown drain keeps the one batch per
   * interval a rate-limited receiver relies on. `signal` gives up waiting (it resolves then too): batches respect
   * the interval again instead of skipping it until the lane happens to be idle.
   */
  flush(signal?: AbortSignal, options: { readonly keepInterval?: boolean } = {}): Promise<void> {
    if (this.#backlog.isIdle || signal?.aborted === true) return Promise.resolve();
    const skip = options.keepInterval !== true;
    if (skip) this.#flushing++;
    this.#waits.kick();
    return this.#waits.whenIdle(signal, () => {
      if (skip) this.#flushing--;
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
      this.#waits.kick();
    }
    await this.#loop;
    const left = this.#backlog.drain();
    if (left.length > 0) this.#drop(left, 'shutdown');
    this.#waits.settleIdle();
    await this.#o.deadLetter?.settled();
  }

  stats(): LaneStats {
    return {
      queued: this.#backlog.queued,
      inFlight: this.#backlog.inFlight,
      cached: this.#o.cache.size,
      delivered: this.#delivered,
      batches: this.#batches,
      retries: this.#retries,
      rejected: this.#refusals.rejected,
      owed: this.#backlog.owed,
      deadLetters: this.#o.deadLetter?.stats() ?? { written: 0, discarded: 0 },
      dropped: { ...this.#dropped },
    };
  }

  #mayDeliver(): boolean {
    return this.#active && (this.#o.mayDeliver?.() ?? true);
  }

  #drop(changes: readonly Change[], reason: DropReason): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + changes.length;
    this.#o.hooks.dropped(this.name, changes, reason);
  }

  async #run(): Promise<void> {
    const backlog = this.#backlog;
    while (!this.#closed) {
      this.#releaseDueOwed();
      if (!backlog.hasWork || !this.#mayDeliver()) {
        if (backlog.hasParts) {
          // The gate closed between the parts of a refused batch: they go back like any held-back batch.
          this.#holdBack(backlog.forgetParts(), false);
        }
        if (backlog.isIdle) this.#waits.settleIdle();
        // Nothing queued, or standby: an offer or setActive (the gate's transition) wakes the lane. Work queued
        // behind a gate that reads closed while we are still active: the gate may reopen without any transition
        // (a late renewal), so look again after a while instead of waiting for an offer that may never come.
        const stalled = backlog.queued > 0 && this.#active;
        await this.#waits.pause(earliest(stalled ? (this.#o.gateRecheckMs ?? GATE_RECHECK_MS) : undefined, this.#untilOwedDue()));
        continue;
      }
      const wait = this.#pacer.wait(() => backlog.isBatchReady(this.#o.maxObjects, this.#refusals.maxBytes));
      if (wait > 0 && this.#flushing === 0) {
        await this.#waits.pause(earliest(wait, this.#untilOwedDue()));
        continue;
      }
      this.#pacer.started();
      await this.#deliver(backlog.takePart() ?? this.#cut());
    }
  }

  /** Takes the next batch from the queue. */
  #cut(): Batch {
    this.#batches++;
    return this.#backlog.cut(this.#o.maxObjects, this.#refusals.maxBytes, this.#o.now());
  }

  /** ms until the first owed change is due again; undefined when none is owed. */
  #untilOwedDue(): number | undefined {
    const at = this.#backlog.nextOwedDueAt();
    return at === undefined ? undefined : at - this.#o.now();
  }

  /** Moves owed changes whose retry is due back into the queue. */
  #releaseDueOwed(): void {
    const changes = this.#backlog.releaseDueOwed(this.#o.now());
    if (changes > 0) this.#o.logger.info({ changes, owed: this.#backlog.owed }, 'trying refused changes again');
  }

  /** Sends `first` (and what is left of it after partial deliveries) until it is delivered, split, owed or stopped. */
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
        const outcome = await sendAttempt(this.#attempt, batch, attempt, this.#activity.signal);
        if (outcome === undefined) {
          if (this.#closed) this.#drop(batch.items, 'shutdown');
          else this.#holdBack(batch.items, true);
          return;
        }
        const plan = planOutcome(outcome, batch.items);
        switch (plan.step) {
          case 'ack':
            this.#ack(batch.items);
            this.#o.hooks.emitted(this.name, batch, attempt);
            return;
          case 'split':
            this.#refusals.split(batch, plan);
            return;
          case 'owe':
            this.#refusals.owe(batch, plan, attempt);
            return;
          case 'ack-part': {
            const { done, again } = plan;
            this.#ack(done);
            if (done.length > 0) this.#o.hooks.emitted(this.name, { ...batch, items: done }, attempt);
            if (again.length === 0) return;
            batch = { id: batchIdOf(again), items: Object.freeze(again), bytes: Math.round((batch.bytes * again.length) / batch.items.length), createdAt: this.#o.now() };
            break;
          }
          case 'resend': {
            const { done, again } = plan;
            this.#ack(done);
            if (done.length > 0) this.#o.hooks.emitted(this.name, { ...batch, items: done }, attempt);
            if (again.length === 0) return;
            // A missing base explains a patch, not a whole object: only then is it worth going again at once.
            const patches = again.every((change) => change.delta?.form === 'patch');
            batch = this.#backlog.resendWhole(again, this.#o.now());
            this.#o.logger.info({ batchId: batch.id, changes: again.length }, 'receiver lacks the base of patches; sending those objects whole');
            if (patches) continue;
            break;
          }
          case 'retry':
            break;
        }
        failures++;
        this.#retries++;
        const error = plan.error;
        const retryAfter = plan.step === 'retry' ? plan.retryAfterMs : undefined;
        const delayMs = backoffDelay(failures, this.#o.retry, this.#o.random, retryAfter);
        this.#o.hooks.retrying(this.name, { batchId: batch.id, attempt, delayMs, error });
        // Only a close or going standby cuts a backoff short.
        await this.#waits.sleep(delayMs, [this.#lifecycle.signal, this.#activity.signal]);
      }
    } finally {
      // Changes handed on to parts of a refused batch stay in flight until those parts are sent.
      this.#backlog.settle(first);
    }
  }

  /**
   * A batch the gate stopped: standby remembers its deletes (its adds and updates come back with the replay on
   * activation); still active (the gate closed on the clock before its transition ran) puts it back in order (see
   * `LaneBacklog.holdBack`).
   */
  #holdBack(items: readonly Change[], attempted: boolean): void {
    if (!this.#active) {
      for (const change of items) if (change.event === 'delete') this.#handover.remember(change);
      return;
    }
    this.#backlog.holdBack(items, attempted);
  }

  #ack(items: readonly Change[]): void {
    this.#backlog.ack(items);
    this.#delivered += items.length;
  }
}
