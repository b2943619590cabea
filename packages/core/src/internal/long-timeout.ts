/**
 * The longest delay Node's timers honour: 2^31 - 1 ms, about 24.8 days. A longer one does not wait longer: Node
 * warns (`TimeoutOverflowWarning`) and fires it after 1 ms, so a 30-day resync would run every millisecond.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A timer armed by `setLongTimeout` or `setLongInterval`. */
export interface LongTimer {
  /** Cancels the timer; idempotent. */
  clear(): void;
  /** Lets the process exit while only this timer is pending (like `Timeout.unref()`); returns the timer. */
  unref(): LongTimer;
}

/**
 * Like `setTimeout`, for any delay: one beyond `MAX_TIMER_DELAY_MS` is waited out as a chain of shorter timers
 * instead of firing at once. `Infinity` never fires; a negative or NaN delay fires as soon as possible (Node's
 * rule for 0). Uses the global `setTimeout` at each step, so fake timers drive it.
 *
 * @param callback - called once, when `ms` milliseconds have passed.
 * @param ms - the delay in milliseconds.
 */
export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  let remaining = Number.isNaN(ms) || ms < 0 ? 0 : ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unrefed = false;
  let cleared = false;
  const step = (): void => {
    if (cleared || remaining === Infinity) return;
    const wait = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= wait;
    timer = setTimeout(() => {
      timer = undefined;
      if (remaining > 0) step();
      else if (!cleared) {
        cleared = true;
        callback();
      }
    }, wait);
    if (unrefed) timer.unref();
  };
  step();
  const handle: LongTimer = {
    clear() {
      cleared = true;
      clearTimeout(timer);
      timer = undefined;
    },
    unref() {
      unrefed = true;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}

/**
 * Like `setInterval`, for any period (see `setLongTimeout`): `callback` runs every `ms` milliseconds until the
 * timer is cleared. A period of 0 (or less) is taken as 1 ms, as Node does.
 *
 * @param callback - called once per period.
 * @param ms - the period in milliseconds.
 */
export function setLongInterval(callback: () => void, ms: number): LongTimer {
  const period = Number.isNaN(ms) || ms < 1 ? 1 : ms;
  if (period <= MAX_TIMER_DELAY_MS) {
    const interval = setInterval(callback, period);
    const handle: LongTimer = {
      clear: () => clearInterval(interval),
      unref() {
        interval.unref();
        return handle;
      },
    };
    return handle;
  }
  let current: LongTimer | undefined;
  let unrefed = false;
  let cleared = false;
  const arm = (): void => {
    current = setLongTimeout(() => {
      arm();
      callback();
    }, period);
    if (unrefed) current.unref();
  };
  arm();
  const handle: LongTimer = {
    clear() {
      cleared = true;
      current?.clear();
    },
    unref() {
      unrefed = true;
      if (!cleared) current?.unref();
      return handle;
    },
  };
  return handle;
}

/**
 * Like `AbortSignal.timeout(ms)`, for any delay: aborts with a `TimeoutError` `DOMException` after `ms`
 * milliseconds, and does not keep the process alive. `AbortSignal.timeout` itself fires at once past
 * `MAX_TIMER_DELAY_MS` and throws past 2^32 - 1 ms.
 *
 * @param ms - the delay in milliseconds; `Infinity` never aborts.
 */
export function longTimeoutSignal(ms: number): AbortSignal {
  if (ms >= 0 && ms <= MAX_TIMER_DELAY_MS) return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setLongTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
  return controller.signal;
}
