/**
 * The original's exec-probe file: `/watch-proxy/healthy` existed while the process was live and was removed when
 * it was not, for service meshes whose mTLS breaks HTTP probes and which probe with `cat /watch-proxy/healthy`.
 * Here it is `<stateDir>/healthy`, judged by the same liveness as `/live`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@watch-proxy/core';

import type { ProbeResult } from './probes.js';

/** The file's name inside the state folder, as in the original. */
export const PROBE_FILE_NAME = 'healthy';

/** How often liveness is judged and the file written or removed, ms: the original's checker ran every 10 s. */
export const PROBE_FILE_INTERVAL_MS = 10_000;

/** Options of {@link startProbeFile}. */
export interface ProbeFileOptions {
  /** The state folder; the file is `<dir>/healthy`. Created when missing. */
  readonly dir: string;
  /** Liveness, as `/live` answers it; must be cheap and synchronous. A throw counts as not live. */
  readonly isLive: () => ProbeResult;
  readonly logger: Logger;
  /** Default: {@link PROBE_FILE_INTERVAL_MS}. */
  readonly intervalMs?: number | undefined;
}

/** A running probe file. */
export interface ProbeFile {
  /** `<dir>/healthy`. */
  readonly path: string;
  /** Judges liveness now and writes or removes the file; resolves when done. */
  refresh(): Promise<void>;
  /** Stops and removes the file (the process is no longer live). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Writes `<dir>/healthy` (`OK`) at once and every `intervalMs` while live (so its mtime says when liveness was
 * last confirmed), and removes it when not live. A file left by an earlier container (an emptyDir outlives its
 * containers) is replaced or removed at the first check. A folder that cannot be written is logged once, not
 * fatal: the HTTP probes do not depend on it.
 */
export function startProbeFile(options: ProbeFileOptions): ProbeFile {
  const path = join(options.dir, PROBE_FILE_NAME);
  let stopped = false;
  let failing = false;
  let chain: Promise<void> = Promise.resolve();

  const judge = (): boolean => {
    try {
      return options.isLive().ok;
    } catch {
      return false;
    }
  };
  const apply = async (live: boolean): Promise<void> => {
    try {
      if (live) {
        await mkdir(options.dir, { recursive: true });
        await writeFile(path, 'OK\n', { mode: 0o644 });
      } else {
        await rm(path, { force: true });
      }
      if (failing) options.logger.info({ path }, 'the exec-probe file is written again');
      failing = false;
    } catch (error) {
      if (!failing) {
        options.logger.warn({ path, err: error instanceof Error ? error.message : String(error) }, 'cannot write the exec-probe file; a probe that reads it will fail');
      }
      failing = true;
    }
  };
  // Serialized, so a slow write cannot land after a later removal.
  const refresh = (): Promise<void> => {
    if (stopped) return chain;
    const live = judge();
    chain = chain.then(() => apply(live));
    return chain;
  };
  const timer = setInterval(() => void refresh(), options.intervalMs ?? PROBE_FILE_INTERVAL_MS);
  timer.unref();
  void refresh();

  return {
    path,
    refresh,
    async stop() {
      if (stopped) return chain;
      stopped = true;
      clearInterval(timer);
      chain = chain.then(() => apply(false));
      return chain;
    },
  };
}
