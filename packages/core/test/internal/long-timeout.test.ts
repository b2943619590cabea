import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, longTimeoutSignal, setLongInterval, setLongTimeout } from '../../src/internal/long-timeout.js';

const DAY = 24 * 3600 * 1000;

describe('long timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a plain setTimeout past 24.8 days fires at once: what the helpers exist for', () => {
    const fired = vi.fn();
    setTimeout(fired, 30 * DAY);
    vi.advanceTimersByTime(10);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('setLongTimeout waits out 30 days, then fires once', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 30 * DAY);
    vi.advanceTimersByTime(30 * DAY - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('setLongTimeout behaves like setTimeout at and below the limit, and can be cleared in any segment', () => {
    const short = vi.fn();
    setLongTimeout(short, 5);
    const atLimit = vi.fn();
    setLongTimeout(atLimit, MAX_TIMER_DELAY_MS);
    const cleared = vi.fn();
    const timer = setLongTimeout(cleared, 60 * DAY);
    vi.advanceTimersByTime(5);
    expect(short).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS); // into the second segment of the 60-day one
    expect(atLimit).toHaveBeenCalledTimes(1);
    timer.clear();
    vi.advanceTimersByTime(60 * DAY);
    expect(cleared).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Infinity never fires; a negative or NaN delay fires as soon as possible', () => {
    const never = vi.fn();
    const soon = vi.fn();
    setLongTimeout(never, Infinity);
    setLongTimeout(soon, -5);
    setLongTimeout(soon, Number.NaN);
    vi.advanceTimersByTime(1);
    expect(soon).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
  });

  it('setLongInterval runs every 30 days, not every millisecond, until cleared', () => {
    const tick = vi.fn();
    const timer = setLongInterval(tick, 30 * DAY);
    vi.advanceTimersByTime(30 * DAY - 1);
    expect(tick).toHaveBeenCalledTimes(0);
    vi.advanceTimersByTime(1);
    expect(tick).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * DAY);
    expect(tick).toHaveBeenCalledTimes(3);
    timer.clear();
    vi.advanceTimersByTime(90 * DAY);
    expect(tick).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('setLongInterval with a short period is a plain interval', () => {
    const tick = vi.fn();
    const timer = setLongInterval(tick, 10).unref();
    vi.advanceTimersByTime(100);
    expect(tick).toHaveBeenCalledTimes(10);
    timer.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('longTimeoutSignal aborts with a TimeoutError after 25 days, not at once (AbortSignal.timeout would)', () => {
    const signal = longTimeoutSignal(25 * DAY);
    vi.advanceTimersByTime(25 * DAY - 1);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    expect(longTimeoutSignal(60 * DAY).aborted).toBe(false); // AbortSignal.timeout throws past 2^32 - 1 ms
  });
});
