import { describe, expect, it } from 'vitest';

import { ConfigError, InvalidArgumentError, SinkStartError } from '@watch-proxy/core';
import { WatchError } from '@watch-proxy/core/watch';

import { startFailureExitCode } from '../../src/run-daemon.js';

describe('the exit code of a failed first start', () => {
  it('is 2 for a config-shaped failure, told by its code', () => {
    expect(startFailureExitCode(new ConfigError('usernameVar', 'environment variable U is not set'))).toBe(2);
    expect(startFailureExitCode(new InvalidArgumentError('WatchProxy options.emitIntervalMs must be ...'))).toBe(2);
    // A code from another copy of core, or a plain object carrying it, counts the same.
    expect(startFailureExitCode({ code: 'WP_ERR_CONFIG_INVALID', message: 'x' })).toBe(2);
  });

  it('is 1 for a runtime failure, whatever its message says', () => {
    expect(startFailureExitCode(new SinkStartError('hook', { reason: 'startup check: certificate has expired' }))).toBe(1);
    expect(startFailureExitCode(new WatchError('forbidden', 'configmaps is forbidden'))).toBe(1);
    // Message text decides nothing (it once did: any error mentioning an environment variable made exit 2).
    expect(startFailureExitCode(new Error('environment variable X is not set'))).toBe(1);
    expect(startFailureExitCode(undefined)).toBe(1);
  });
});
