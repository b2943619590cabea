import { ConfigError } from '@watch-proxy/core';

/**
 * A problem with the sink's option `option` or its environment, found at creation: never retried, never carries
 * secrets. The message is `<option>: <reason>` unless `message` says otherwise.
 */
export function configError(option: string, reason: string, extra: { cause?: unknown; message?: string } = {}): ConfigError {
  return new ConfigError(option, reason, extra);
}
