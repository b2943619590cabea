import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { LeaderRecord, LeaseLock, ObservedRecord } from './lease-lock.js';
import { setLongTimeout } from '../internal/long-timeout.js';
import type { LongTimer } from '../internal/long-timeout.js';

/** The role of an elector. */
export type LeaderRole = 'standby' | 'leader' | 'stopped';

/** Settings of a `LeaseElector`. Durations in milliseconds; defaults are client-go's. */
export interface LeaseElectorOptions {
  readonly lock: LeaseLock;
  /** Unique per replica (the pod name, plus a random suffix across restarts). Written as `holderIdentity`. */
  readonly identity: string;
  /** How long a standby waits after it last saw the record change before taking over. Default: 15 000 ms. */
  readonly leaseDurationMs?: number | undefined;
  /**
   * How long the holder keeps acting after its last successful renewal began; then it stops sending and stands
   * down. Must be less than `leaseDurationMs`: the difference is the safety margin. Default: 10 000 ms.
   */
  readonly renewDeadlineMs?: number | undefined;
  /** Between two acquire or renew attempts. Default: 2 000 ms. */
  readonly retryPeriodMs?: number | undefined;
  readonly logger?: Logger | undefined;
  /** Monotonic clock, ms. Default: `performance.now`. */
  readonly now?: (() => number) | undefined;
  /** Wall clock for the record's timestamps. Default: `Date.now`. */
  readonly wallClock?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
}

/** A transition, as reported to listeners and logs. */
export interface LeaderTransition {
  readonly role: LeaderRole;
  /** The holder as last observed ('' when none or unknown). */
  readonly holder: string;
}

/**
 * Leader election on a Lease with client-go's semantics (`tools/leaderelection`): a standby polls every
 * `retryPeriod` and takes the lease once the record has not changed for `leaseDuration` as measured by ITS OWN
 * clock since it observed the change (tolerant to clock skew between nodes, not to skew rate); the holder
 * renews every `retryPeriod`; updates quote the resourceVersion they read, so two candidates never both win.
 *
 * Stricter than client-go about stopping: the holder's right to send ends `renewDeadline` after its last
 * successful renewal BEGAN (before the request left), so it ends before any standby can see the lease expire,
 * and `open` checks the clock on every read, so a process thawed after a SIGSTOP past its deadline sends nothing
 * even before its timers run. Then it reports `standby` and competes again.
 */
export class LeaseElector implements DeliveryGate {
  readonly #lock: LeaseLock;
  readonly #identity: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #wall: () => number;
  readonly #random: () => number;
  readonly #listeners = new Set<(open: boolean) => void>();
  readonly #transitionListeners = new Set<(t: LeaderTransition) => void>();
  #role: LeaderRole = 'standby';
  /** Monotonic time until which the holder may act. */
  #validUntil = Number.NEGATIVE_INFINITY;
  #observed: ObservedRecord | undefined;
  /** Monotonic time at which `#observed` was seen to change. */
  #observedAt = Number.NEGATIVE_INFINITY;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #deadlineTimer: LongTimer | undefined;
  #transitions = 0;

  constructor(options: LeaseElectorOptions) {
    this.#lock = options.lock;
    this.#identity = options.identity;
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    if (!(this.#identity.length > 0)) throw new InvalidArgumentError('LeaseElector: identity must not be empty');
    if (!(this.#leaseMs > this.#renewMs)) throw new InvalidArgumentError('LeaseElector: leaseDuration must be greater than renewDeadline');
    // client-go: renewDeadline must exceed JitterFactor (1.2) × retryPeriod so a holder gets several tries.
    if (!(this.#renewMs > 1.2 * this.#retryMs)) throw new InvalidArgumentError('LeaseElector: renewDeadline must be greater than 1.2 × retryPeriod');
    if (!(this.#retryMs > 0)) throw new InvalidArgumentError('LeaseElector: retryPeriod must be positive');
    this.#logger = (options.logger ?? silentLogger).child({ component: 'leader-election', lease: this.#lock.describe, identity: this.#identity });
    this.#now = options.now ?? (() => performance.now());
    this.#wall = options.wallClock ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** This replica's identity. */
  get identity(): string {
    return this.#identity;
  }

  /** `leader` only while the lease is held AND the renew deadline has not passed. */
  get role(): LeaderRole {
    if (this.#role === 'leader' && !this.open) return 'standby';
    return this.#role;
  }

  get open(): boolean {
    return this.#role === 'leader' && this.#now() < this.#validUntil;
  }

  /** The holder as last observed in the lease ('' when none). */
  get holder(): string {
    return this.#observed?.record.holderIdentity ?? '';
  }

  /** Times this replica became leader or stood down, since construction. */
  get transitions(): number {
    return this.#transitions;
  }

  onChange(listener: (open: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Like `onChange`, with the role and the observed holder (for logs and metrics). */
  onTransition(listener: (t: LeaderTransition) => void): () => void {
    this.#transitionListeners.add(listener);
    return () => this.#transitionListeners.delete(listener);
  }

  /** Starts competing for the lease. Idempotent. */
  start(): void {
    if (this.#stopped) return;
    this.#loop ??= this.#run().catch((error: unknown) => {
      this.#logger.error({ err: error instanceof Error ? error.message : String(error) }, 'leader election loop failed');
    });
  }

  /**
   * Stops competing. A holder stands down first (listeners hear `false`), then releases the lease (empty holder,
   * as client-go's ReleaseOnCancel) so a standby takes over at its next retry instead of after `leaseDuration`.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#loop;
    this.#stopped = true;
    if (this.#role === 'leader') this.#standDown('stopped');
    this.#role = 'stopped';
    this.#wake?.();
    await this.#loop;
    // Released whenever the record we last saw names us (also a holder past its deadline, or one that won the
    // lease just as it stopped): a standby then takes over at its next retry. A stale record only gets a 409.
    if (this.#observed !== undefined && this.#observed.record.holderIdentity === this.#identity) {
      const r = this.#observed.record;
      const now = microTime(this.#wall());
      try {
        await this.#lock.update({ ...r, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now }, this.#observed.resourceVersion, this.#retryMs);
        this.#logger.info({}, 'released the lease');
      } catch (error) {
        this.#logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not release the lease; a standby takes over when it expires');
      }
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#role === 'leader') {
        await this.#sleep(this.#retryMs);
        if (this.#stopped) return;
        const began = this.#now();
        if (began >= this.#validUntil) {
          this.#standDown('standby');
          continue;
        }
        const ok = await this.#tryAcquireOrRenew(began, this.#validUntil - began);
        if (this.#stopped) return;
        if (ok && this.#role === 'leader') this.#extend(began);
        // Someone else holds it (we were presumed dead, e.g. across an apiserver outage): stop at once.
        else if (this.#now() >= this.#validUntil || (this.holder !== '' && this.holder !== this.#identity)) this.#standDown('standby');
      } else {
        const began = this.#now();
        const ok = await this.#tryAcquireOrRenew(began, this.#retryMs);
        if (this.#stopped) return;
        if (ok) {
          this.#role = 'leader';
          this.#extend(began);
          this.#transitions++;
          this.#logger.info({ holder: this.#identity }, 'became the leader: delivering');
          this.#notify(true);
          continue;
        }
        // Jitter so standbys do not poll in lockstep; at most one retryPeriod keeps takeover within
        // leaseDuration + retryPeriod after the record was last seen changing.
        await this.#sleep(this.#retryMs * (0.8 + 0.2 * this.#random()));
      }
    }
  }

  /** One get + create-or-update (client-go's `tryAcquireOrRenew`). Resolves whether we hold the lease now. */
  async #tryAcquireOrRenew(began: number, timeoutMs: number): Promise<boolean> {
    const timeout = Math.max(1, Math.min(timeoutMs, this.#retryMs * 2));
    const now = microTime(this.#wall());
    const mine: LeaderRecord = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    try {
      const current = await this.#lock.get(timeout);
      if (current === undefined) {
        const created = await this.#lock.create(mine, timeout);
        if (created === false) return false;
        this.#observe(created, began);
        return true;
      }
      if (this.#observed === undefined || this.#observed.resourceVersion !== current.resourceVersion) this.#observe(current, this.#now());
      const held = current.record.holderIdentity;
      const durationMs = current.record.leaseDurationSeconds * 1000;
      if (held !== '' && held !== this.#identity && this.#observedAt + durationMs > this.#now()) return false;
      const ours = held === this.#identity;
      const next: LeaderRecord = {
        ...mine,
        acquireTime: ours ? current.record.acquireTime : now,
        leaseTransitions: ours ? current.record.leaseTransitions : current.record.leaseTransitions + 1,
      };
      const updated = await this.#lock.update(next, current.resourceVersion, timeout);
      if (updated === false) return false;
      this.#observe(updated, began);
      return true;
    } catch (error) {
      this.#logger.warn({ err: error instanceof Error ? error.message : String(error), role: this.#role }, 'lease request failed; retrying');
      return false;
    }
  }

  #observe(record: ObservedRecord, at: number): void {
    const before = this.#observed?.record.holderIdentity;
    this.#observed = record;
    this.#observedAt = at;
    if (before !== record.record.holderIdentity && record.record.holderIdentity !== this.#identity) {
      this.#logger.info({ holder: record.record.holderIdentity }, 'new leader observed');
      for (const listener of this.#transitionListeners) this.#safely(() => listener({ role: this.#role, holder: record.record.holderIdentity }));
    }
  }

  /** The renewal that began at `began` succeeded: act until `began + renewDeadline`, and stand down then. */
  #extend(began: number): void {
    this.#validUntil = began + this.#renewMs;
    this.#armDeadline();
  }

  /** Stands down at `#validUntil`: even while a renewal request hangs, lanes are paused on time, not when it gives up. */
  #armDeadline(): void {
    this.#deadlineTimer?.clear();
    this.#deadlineTimer = setLongTimeout(() => {
      if (this.#role !== 'leader') return;
      if (this.#now() >= this.#validUntil) this.#standDown('standby');
      // Timers run on the event loop's cached clock and can fire a little before ours reaches the deadline. Doing
      // nothing then would leave `open` reading false with no transition until the next renewal attempt.
      else this.#armDeadline();
    }, Math.max(0, this.#validUntil - this.#now())).unref();
  }

  #standDown(role: 'standby' | 'stopped'): void {
    if (this.#role !== 'leader') return;
    this.#deadlineTimer?.clear();
    this.#role = role;
    this.#validUntil = Number.NEGATIVE_INFINITY;
    this.#transitions++;
    if (role === 'standby') this.#logger.warn({ renewDeadlineMs: this.#renewMs }, 'could not renew the lease in time: stopped delivering, now standby');
    else this.#logger.info({}, 'stopping: stopped delivering');
    this.#notify(false);
  }

  #notify(open: boolean): void {
    for (const listener of this.#listeners) this.#safely(() => listener(open));
    const t = { role: open ? ('leader' as const) : this.#role, holder: open ? this.#identity : this.holder };
    for (const listener of this.#transitionListeners) this.#safely(() => listener(t));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#logger.error({ err: error instanceof Error ? error.message : String(error) }, 'a leader election listener threw');
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        timer.clear();
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setLongTimeout(done, ms).unref();
      this.#wake = done;
    });
  }
}

/** A Lease's MicroTime: RFC 3339 with exactly six fractional digits (the apiserver refuses three). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
