import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/watch/backoff.js';
import { parseRetryAfter } from '../../src/internal/retry-after.js';
import { kindForStatus, toWatchError } from '../../src/kube/kube-api-error.js';

describe('Backoff', () => {
  it('doubles from the base up to the cap, exactly with neutral jitter', () => {
    const b = new Backoff({ baseMs: 800, capMs: 30_000, random: () => 0.5 });
    const delays = Array.from({ length: 8 }, () => b.next(0));
    expect(delays).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
  });

  it('spreads delays within [0.5, 1.5) of the nominal value', () => {
    expect(new Backoff({ baseMs: 1000, random: () => 0 }).next(0)).toBe(500);
    expect(new Backoff({ baseMs: 1000, random: () => 0.999 }).next(0)).toBe(1499);
  });

  it('uses the longer cap while degraded', () => {
    const b = new Backoff({ baseMs: 1000, capMs: 2000, degradedCapMs: 16_000, random: () => 0.5 });
    expect(Array.from({ length: 6 }, () => b.next(0, { degraded: true }))).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
  });

  it('starts over only after resetAfterMs of healthy operation', () => {
    const b = new Backoff({ baseMs: 100, resetAfterMs: 120_000, random: () => 0.5 });
    b.next(0);
    b.next(1);
    b.markHealthy(10);
    expect(b.next(60_000)).toBe(400); // healthy for only 60 s
    b.markHealthy(70_000);
    expect(b.next(190_000)).toBe(100); // healthy for 120 s
  });

  it('does not reset while failures keep coming, however far apart', () => {
    const b = new Backoff({ baseMs: 100, degradedCapMs: 300_000, resetAfterMs: 120_000, random: () => 0.5 });
    expect([b.next(0, { degraded: true }), b.next(500_000, { degraded: true }), b.next(1_000_000, { degraded: true })]).toEqual([100, 200, 400]);
  });

  it('never waits less than Retry-After (bounded by the degraded cap)', () => {
    const b = new Backoff({ baseMs: 100, degradedCapMs: 60_000, random: () => 0.5 });
    expect(b.next(0, { minMs: 5000 })).toBe(5000);
    expect(b.next(0, { minMs: 3_600_000 })).toBe(60_000);
  });
});

describe('error classification', () => {
  it('maps statuses to what the watcher does', () => {
    expect([401, 403, 404, 410, 429, 500, 503, 400, 422].map((c) => kindForStatus(c))).toEqual([
      'unauthorized',
      'forbidden',
      'not-found',
      'gone',
      'throttled',
      'server',
      'server',
      'invalid',
      'invalid',
    ]);
    expect(kindForStatus(504, { details: { causes: [{ reason: 'ResourceVersionTooLarge' }] } })).toBe('too-large');
    expect(kindForStatus(504, { message: 'Too large resource version: 99, current: 5' })).toBe('too-large');
    expect(kindForStatus(504, { message: 'timeout' })).toBe('server');
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('reads the first of repeated Retry-After headers, and no date from a bare number', () => {
    expect(parseRetryAfter(['3', '9'], 0)).toBe(3000);
    expect(parseRetryAfter([], 0)).toBeUndefined();
    // Date.parse reads "-1" and "1.5" as years: not HTTP dates, so no wait from them.
    expect(parseRetryAfter('-1', 0)).toBeUndefined();
    expect(parseRetryAfter('1.5', 0)).toBeUndefined();
  });

  it('wraps unknown failures as network errors with their code', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const wrapped = toWatchError(err, 'GET /api/v1/pods');
    expect(wrapped).toMatchObject({ kind: 'network', code: 'WP_ERR_WATCH_FAILED', cause: err });
    expect(wrapped.message).toContain('ECONNREFUSED');
  });
});
