import { setLongTimeout } from '../internal/long-timeout.js';

/**
 * Every way a lane's loop and its callers wait, kept apart from what the lane decides: the loop's pause until a
 * delay passes or something wakes it (`pause` / `kick`), its backoff sleep that only aborting signals cut short
 * (`sleep`), and the callers of `flush` waiting for the lane to go idle (`whenIdle` / `settleIdle`). Timers are
 * unref'd, so a waiting lane never keeps the process alive.
 */
export class LaneWaits {
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];

  /** Wakes the loop's current `pause`, if any. */
  kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for `ms` (forever when undefined) or until `kick`. */
  pause(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setLongTimeout(done, Math.max(0, ms)).unref();
      this.#wake = done;
      function done(): void {
        timer?.clear();
        resolve();
      }
    });
  }

  /**
   * Waits `ms` unless one of `signals` aborts first (resolves at once when one already has). A `kick` does not
   * cut it short: a flush must not skip a backoff, that would hammer the receiver.
   */
  sleep(ms: number, signals: readonly AbortSignal[]): Promise<void> {
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

  /**
   * Resolves at the next `settleIdle`, or when `signal` aborts (the waiter is then forgotten). `onDone` runs once,
   * either way, before the promise resolves.
   */
  whenIdle(signal: AbortSignal | undefined, onDone: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', giveUp);
        onDone();
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

  /** Releases everyone waiting in `whenIdle`. */
  settleIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
