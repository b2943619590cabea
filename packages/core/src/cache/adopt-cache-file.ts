import { existsSync, renameSync } from 'node:fs';
import { cacheFilePath } from './cache-file.js';

/**
 * Moves the emit cache persisted under a sink's former name (`from`) to its current name (`to`), once: only when
 * there is none under `to` yet, so state written under the current name is never replaced. For a sink whose name
 * changed (default endpoint names no longer carry the URL's path), so an upgrade neither re-sends everything nor
 * forgets the deletes owed. Synchronous (a rename), meant to run before the pipeline starts.
 *
 * @returns the path moved to, or `undefined` when there was nothing to move.
 * @throws the file system's error when the rename fails (the caller reports it; the sink then starts empty).
 */
export function adoptCacheFile(stateDir: string, from: string, to: string): string | undefined {
  const target = cacheFilePath(stateDir, to);
  const source = cacheFilePath(stateDir, from);
  if (from === to || existsSync(target) || !existsSync(source)) return undefined;
  renameSync(source, target);
  return target;
}
