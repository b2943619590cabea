/**
 * The daemon's own state folder, used when the config sets no `stateDir` (and always under `--dry-run`, so a
 * dry run never touches a real run's caches). Hot reload replaces the running pipeline with a new one; the emit
 * caches it persists here carry over, so a reload does not re-send unchanged objects. Removed at exit: without a
 * configured `stateDir`, a restart still re-sends everything, as the original did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from '@watch-proxy/core';

/** A lazily created private folder. */
export interface PrivateStateDir {
  /** The folder's path, created on first call; `undefined` if it cannot be created (read-only `/tmp`). */
  path(): string | undefined;
  /** Removes the folder, if it was created. Idempotent. */
  remove(): void;
}

/** Creates the handle; nothing touches the disk until `path()`. */
export function privateStateDir(logger: Logger, parent: string = tmpdir()): PrivateStateDir {
  let dir: string | undefined;
  let failed = false;
  return {
    path() {
      if (dir !== undefined || failed) return dir;
      try {
        dir = mkdtempSync(join(parent, 'watch-proxy-state-'));
      } catch (error) {
        failed = true;
        logger.warn(
          { err: error instanceof Error ? error.message : String(error), parent },
          'cannot create a private state folder: emit caches stay in memory, so a config reload re-sends every object; set stateDir',
        );
      }
      return dir;
    },
    remove() {
      if (dir === undefined) return;
      rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}
