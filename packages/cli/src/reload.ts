/**
 * Config reloads, from a file change or SIGHUP: load the file the same way as at startup; an invalid file is
 * logged with every `file:line:col` error and the running config stays; a valid one goes to the daemon.
 * Requests that arrive while one is being applied collapse into one more reload afterwards, so a burst of
 * triggers never queues a stale file behind a newer one.
 */
import type { Logger } from '@watch-proxy/core';

import { formatDiagnostic, loadConfigFile } from './config/index.js';
import type { ConfigEnv, LoadConfigOptions, WatchProxyConfig } from './config/index.js';
import { describeError } from './describe-error.js';

/** Why a reload was asked for (logged). */
export type ReloadTrigger = 'file-change' | 'SIGHUP';

/** How a reload ended; `failure` is an invalid file or config the daemon refused. */
export type ReloadResult = 'success' | 'unchanged' | 'failure';

/** Options of {@link createReloader}. */
export interface ReloaderOptions {
  readonly configPath: string;
  /** `--strict`: unknown keys are errors. */
  readonly strict: boolean;
  readonly env?: ConfigEnv | undefined;
  /** What the daemon checks beyond the file (see `checkStartup`); its errors reject the reload. Default none. */
  readonly startupCheck?: LoadConfigOptions['startupCheck'];
  readonly logger: Logger;
  /** Applies a valid config; resolves to what happened (see `Daemon.reload`). `trigger` says why. */
  readonly apply: (config: WatchProxyConfig, trigger: ReloadTrigger) => Promise<'applied' | 'unchanged' | 'rejected' | 'stopping'>;
  /** Told about each finished reload (metrics). */
  readonly onResult?: ((result: ReloadResult) => void) | undefined;
}

/** Reloads on request. */
export interface Reloader {
  /** Asks for a reload; resolves once it (or the reload it was folded into) finished. Never rejects. */
  request(trigger: ReloadTrigger): Promise<void>;
}

/** Creates the reloader. */
export function createReloader(options: ReloaderOptions): Reloader {
  const { logger } = options;
  const once = async (trigger: ReloadTrigger): Promise<void> => {
    let result: ReloadResult;
    try {
      const loaded = await loadConfigFile(options.configPath, {
        strict: options.strict,
        env: options.env ?? process.env,
        startupCheck: options.startupCheck,
      });
      for (const warning of loaded.warnings) logger.warn({ trigger }, formatDiagnostic(warning));
      if (!loaded.ok) {
        for (const error of loaded.errors) logger.error({ trigger }, formatDiagnostic(error));
        logger.error({ trigger, errors: loaded.errors.length }, 'config reload rejected: the file is invalid, keeping the running config');
        result = 'failure';
      } else {
        const outcome = await options.apply(loaded.config, trigger);
        result = outcome === 'applied' ? 'success' : outcome === 'unchanged' || outcome === 'stopping' ? 'unchanged' : 'failure';
        if (outcome === 'applied') logger.info({ trigger }, 'config reloaded');
        else if (outcome === 'unchanged') logger.info({ trigger }, 'config reload: nothing changed');
      }
    } catch (error) {
      logger.error({ trigger, err: describeError(error) }, 'config reload failed: keeping the running config');
      result = 'failure';
    }
    options.onResult?.(result);
  };

  let loop: Promise<void> | undefined;
  let wanted: ReloadTrigger | undefined;
  return {
    request(trigger) {
      // Requests during a reload fold into one more pass, which reads the file after the running one finished.
      wanted = trigger;
      loop ??= (async () => {
        while (wanted !== undefined) {
          const next = wanted;
          wanted = undefined;
          await once(next);
        }
        loop = undefined;
      })();
      return loop;
    },
  };
}
