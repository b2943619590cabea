import { describe, expect, it } from 'vitest';

import { UsageError } from '../../src/usage-error.js';
import { WATCHDOGS_ENV, watchdogsFromEnv } from '../../src/watchdog-env.js';

describe('watchdogsFromEnv', () => {
  it('is undefined when the variable is unset or blank: every default applies', () => {
    expect(watchdogsFromEnv({})).toBeUndefined();
    expect(watchdogsFromEnv({ [WATCHDOGS_ENV]: '  ' })).toBeUndefined();
  });

  it('reads a JSON object of bounds in milliseconds', () => {
    const text = JSON.stringify({ connectTimeoutMs: 2_000, listPageTimeoutMs: 3_000, idleTimeoutMs: 10_000, deadlineGraceMs: 500 });
    expect(watchdogsFromEnv({ [WATCHDOGS_ENV]: text })).toEqual({ connectTimeoutMs: 2_000, listPageTimeoutMs: 3_000, idleTimeoutMs: 10_000, deadlineGraceMs: 500 });
    expect(watchdogsFromEnv({ [WATCHDOGS_ENV]: '{"idleTimeoutMs":2000}' })).toEqual({ idleTimeoutMs: 2_000 });
  });

  it.each([
    ['not JSON', 'idle=2s', /WATCH_PROXY_TEST_WATCHDOGS must be a JSON object such as \{"idleTimeoutMs":2000\} \(got "idle=2s"\)/],
    ['not an object', '[2000]', /WATCH_PROXY_TEST_WATCHDOGS must be a JSON object/],
    ['an unknown key', '{"idleTimeout":2000}', /WATCH_PROXY_TEST_WATCHDOGS: unknown key "idleTimeout" \(known: connectTimeoutMs, listPageTimeoutMs, idleTimeoutMs, deadlineGraceMs\)/],
    ['a zero bound', '{"connectTimeoutMs":0}', /WATCH_PROXY_TEST_WATCHDOGS: connectTimeoutMs must be a positive number of milliseconds \(got 0\)/],
    ['a string bound', '{"idleTimeoutMs":"2s"}', /idleTimeoutMs must be a positive number of milliseconds \(got "2s"\)/],
  ])('refuses %s with a usage error (exit 2) naming the variable', (_label, text, message) => {
    const read = (): unknown => watchdogsFromEnv({ [WATCHDOGS_ENV]: text });
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });
});
