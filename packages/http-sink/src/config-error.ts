import { WatchProxyError } from '@watch-proxy/core';

/** A problem with the sink's options or environment, found at creation: never retried, never carries secrets. */
export function configError(message: string, cause?: unknown): WatchProxyError {
  return new WatchProxyError('WP_ERR_CONFIG_INVALID', message, cause === undefined ? undefined : { cause });
}
