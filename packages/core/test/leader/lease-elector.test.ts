import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseElector } from '../../src/leader/lease-elector.js';
import { MemoryLease, type MemoryLeaseLock } from './memory-lease-lock.js';

const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

/** A monotonic clock that follows fake timers but can also jump alone (a process frozen by SIGSTOP). */
function clock(): { now: () => number; jump: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, jump: (ms) => void (offset += ms) };
}

function elector(lock: MemoryLeaseLock, identity: string, now: () => number = Date.now): LeaseElector {
  return new LeaseElector({ lock, identity, ...TIMING, now, wallClock: Date.now, random: () => 0.5 });
}

/** Advances fake time in small steps, asserting after each that at most one elector is open. */
async function run(ms: number, electors: readonly LeaseElector[], step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(step);
    expect(electors.filter((e) => e.open).length).toBeLessThanOrEqual(1);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseElector', () => {
  it('validates its timing like client-go', () => {
    const lock = new MemoryLease();
    expect(() => new LeaseElector({ lock: lock.view(), identity: 'a', leaseDurationMs: 2000, renewDeadlineMs: 2000 })).toThrow(/leaseDuration must be greater/);
    expect(() => new LeaseElector({ lock: lock.view(), identity: 'a', renewDeadlineMs: 1000, retryPeriodMs: 1000 })).toThrow(/1\.2 × retryPeriod/);
    expect(() => new LeaseElector({ lock: lock.view(), identity: '' })).toThrow(/identity/);
  });

  it('creates a missing lease and leads, renewing every retryPeriod', async () => {
    const lock = new MemoryLease();
    const a = elector(lock.view(), 'a');
    const seen: boolean[] = [];
    a.onChange((open) => seen.push(open));
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(a.open).toBe(true);
    expect(a.role).toBe('leader');
    expect(seen).toEqual([true]);
    expect(lock.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 3, leaseTransitions: 0 });
    const writes = lock.writes.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(lock.writes.length - writes).toBe(10);
    expect(a.open).toBe(true);
    await a.stop();
  });

  it('lets exactly one of two candidates lead, and the other stays standby while the lease is renewed', async () => {
    const lock = new MemoryLease();
    const a = elector(lock.view(), 'a');
    const b = elector(lock.view(), 'b');
    a.start();
    b.start();
    await run(10_000, [a, b]);
    expect([a.open, b.open].sort()).toEqual([false, true]);
    expect(lock.record?.leaseTransitions).toBe(0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a holder cut off from the lease stops before it can expire; a standby takes over within leaseDuration + 2 retryPeriods of the last renewal', async () => {
    const lease = new MemoryLease();
    const aLock = lease.view();
    const a = elector(aLock, 'a');
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    const b = elector(lease.view(), 'b');
    b.start();
    await run(2000, [a, b]);
    expect(a.open).toBe(true);
    let standDownAt = 0;
    let takeoverAt = 0;
    a.onChange((open) => {
      if (!open) standDownAt = Date.now();
    });
    b.onChange((open) => {
      if (open) takeoverAt = Date.now();
    });
    aLock.failing = true; // a partition, or kill -9 as the lease sees it: no renewals, no release
    await run(6000, [a, b]);
    const lastRenewal = Date.parse(lease.writes.filter((w) => w.holderIdentity === 'a').at(-1)?.renewTime ?? '');
    expect(standDownAt).toBeGreaterThan(0);
    expect(standDownAt - lastRenewal).toBeLessThanOrEqual(TIMING.renewDeadlineMs);
    expect(b.open).toBe(true);
    expect(takeoverAt - standDownAt).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.renewDeadlineMs - TIMING.retryPeriodMs);
    expect(takeoverAt - lastRenewal).toBeGreaterThanOrEqual(TIMING.leaseDurationMs);
    expect(takeoverAt - lastRenewal).toBeLessThanOrEqual(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs);
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // Healed, a finds b's record and stays standby.
    aLock.failing = false;
    await run(3000, [a, b]);
    expect(a.open).toBe(false);
    expect(b.open).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a holder frozen past its deadline reads closed on thaw before any of its timers run, then stands down', async () => {
    const lock = new MemoryLease();
    const c = clock();
    const a = elector(lock.view(), 'a', c.now);
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(a.open).toBe(true);
    c.jump(TIMING.renewDeadlineMs); // SIGSTOP for 2 s: the clock moved, no timer ran
    expect(a.open).toBe(false);
    expect(a.role).toBe('standby');
    await a.stop();
  });

  it('a deadline timer that fires before the monotonic clock reaches the deadline looks again: the gate never reads closed for long without telling', async () => {
    const lease = new MemoryLease();
    const lock = lease.view();
    const c = clock();
    const a = elector(lock, 'a', c.now);
    let toldAt: number | undefined;
    a.onChange((open) => {
      if (!open) toldAt = Date.now();
    });
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(a.open).toBe(true);
    lock.failing = true; // no renewal from here on
    c.jump(-5); // our clock runs behind the timers' (the event loop's cached time), so the deadline timer fires early
    let closedAt: number | undefined;
    for (let t = 0; t < TIMING.renewDeadlineMs + TIMING.retryPeriodMs && toldAt === undefined; t++) {
      await vi.advanceTimersByTimeAsync(1);
      if (!a.open) closedAt ??= Date.now();
    }
    expect(closedAt).toBeDefined();
    expect(toldAt).toBeDefined();
    expect((toldAt ?? 0) - (closedAt ?? 0)).toBeLessThanOrEqual(1);
    await a.stop();
  });

  it('on stop, a holder stands down first and releases the lease so a standby takes over at its next retry', async () => {
    const lock = new MemoryLease();
    const a = elector(lock.view(), 'a');
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    const b = elector(lock.view(), 'b');
    b.start();
    await run(1000, [a, b]);
    const order: string[] = [];
    a.onChange((open) => order.push(`a:${open}`));
    b.onChange((open) => order.push(`b:${open}`));
    const stoppedAt = Date.now();
    await a.stop();
    expect(lock.record?.holderIdentity).toBe('');
    let takeoverAt = 0;
    b.onChange((open) => {
      if (open) takeoverAt = Date.now();
    });
    await run(1000, [a, b]);
    expect(order).toEqual(['a:false', 'b:true']);
    expect(takeoverAt - stoppedAt).toBeLessThanOrEqual(TIMING.retryPeriodMs);
    await b.stop();
  });

  it('a holder that stood down on its deadline still releases the lease on stop when the record names it', async () => {
    const lease = new MemoryLease();
    const lock = lease.view();
    const a = elector(lock, 'a');
    a.start();
    await vi.advanceTimersByTimeAsync(1);
    lock.failing = true;
    await vi.advanceTimersByTimeAsync(TIMING.renewDeadlineMs + 100);
    expect(a.open).toBe(false);
    lock.failing = false;
    await a.stop();
    expect(lease.record?.holderIdentity).toBe('');
  });
});
