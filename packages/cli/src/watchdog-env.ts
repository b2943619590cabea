/**
 * The one way into the watchers' watchdog bounds from outside a program: an environment variable, for tests that
 * must see a frozen apiserver noticed in seconds rather than minutes. Deliberately not a config key (see
 * docs/operations.md, "Watchdogs").
 */
import type { WatchdogBounds } from '@watch-proxy/core/watch';

import type { ConfigEnv } from './config/index.js';
import { UsageError } from './usage-error.js';

/** The variable: a JSON object of `WatchdogBounds` (milliseconds), such as `{"idleTimeoutMs":2000}`. */
export const WATCHDOGS_ENV = 'WATCH_PROXY_TEST_WATCHDOGS';

const KEYS: readonly (keyof WatchdogBounds)[] = ['connectTimeoutMs', 'listPageTimeoutMs', 'idleTimeoutMs', 'deadlineGraceMs'];

/**
 * The bounds `WATCH_PROXY_TEST_WATCHDOGS` sets; undefined when it is unset or empty (every default applies).
 * Throws a `UsageError` naming the variable and the key when it is not a JSON object of positive milliseconds.
 */
export function watchdogsFromEnv(env: ConfigEnv): WatchdogBounds | undefined {
  const text = env[WATCHDOGS_ENV];
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${WATCHDOGS_ENV} must be a JSON object such as {"idleTimeoutMs":2000} (got ${JSON.stringify(text)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${WATCHDOGS_ENV} must be a JSON object such as {"idleTimeoutMs":2000} (got ${JSON.stringify(text)})`);
  }
  const bounds: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`${WATCHDOGS_ENV}: unknown key ${JSON.stringify(key)} (known: ${KEYS.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new UsageError(`${WATCHDOGS_ENV}: ${key} must be a positive number of milliseconds (got ${JSON.stringify(value)})`);
    }
    bounds[key] = value;
  }
  return bounds;
}
