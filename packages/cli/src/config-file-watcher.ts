/**
 * Notices when the config file's content changes: edits in place, editors' write-and-rename, and Kubernetes
 * ConfigMap updates, where kubelet swaps the `..data` symlink in the mounted folder and `config.yaml` (itself a
 * symlink into `..data`) never gets an event of its own. So the folder is watched, not the file, and every
 * burst of events ends, after a quiet `debounceMs`, in one read whose hash decides whether anything changed. A
 * slow poll backs the watch up (a watch on a folder that is replaced goes silent).
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

import type { Logger } from '@watch-proxy/core';
import { readBoundedFile } from '@watch-proxy/http-sink';

import { MAX_CONFIG_FILE_BYTES } from './config/index.js';

/** Options of {@link watchConfigFile}. */
export interface ConfigFileWatcherOptions {
  /** Called once per settled change of the file's content (not for events that left it the same). */
  readonly onChange: () => void;
  readonly logger: Logger;
  /** Quiet time after the last event before the file is read, in ms. Default 300. */
  readonly debounceMs?: number | undefined;
  /** Period of the backup poll, in ms; 0 disables it. Default 10,000 (the original polled every 10 s). */
  readonly pollIntervalMs?: number | undefined;
  /**
   * `hashConfigFile` of the content the caller loaded, taken before loading it. A change made between that and
   * this call is then reported at once. Default: the content when the watch starts is the baseline.
   */
  readonly baseline?: string | undefined;
}

/** A running watch. */
export interface ConfigFileWatcher {
  /** Stops watching and polling. Idempotent. */
  close(): void;
}

/** A fingerprint of the file's content (or of why it cannot be read), for `baseline`. */
export async function hashConfigFile(path: string): Promise<string> {
  try {
    // Bounded like the load itself: a FIFO or an endless device must not hang the watcher or fill memory.
    return createHash('sha256').update(await readBoundedFile(path, MAX_CONFIG_FILE_BYTES)).digest('hex');
  } catch (error) {
    // A missing file mid-swap is a state like any other: when it comes back, its hash differs from this one.
    return `unreadable:${(error as { code?: string }).code ?? 'error'}`;
  }
}

/** Starts watching `path`. The current content is the baseline: only later changes call `onChange`. */
export async function watchConfigFile(path: string, options: ConfigFileWatcherOptions): Promise<ConfigFileWatcher> {
  const debounceMs = options.debounceMs ?? 300;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  let last = options.baseline ?? (await hashConfigFile(path));
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let checking = Promise.resolve();

  const check = (): void => {
    checking = checking.then(async () => {
      if (closed) return;
      const now = await hashConfigFile(path);
      if (closed || now === last) return;
      last = now;
      options.onChange();
    });
  };
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, schedule);
    watcher.on('error', (error) => {
      options.logger.warn({ err: error.message, dir: dirname(path) }, 'watching the config folder failed: relying on the periodic check');
      watcher?.close();
    });
  } catch (error) {
    options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot watch the config folder: relying on the periodic check');
  }
  const poll = pollIntervalMs > 0 ? setInterval(check, pollIntervalMs) : undefined;
  poll?.unref();
  // A change between the caller's baseline and the watch's start produced no event we could see.
  if (options.baseline !== undefined) check();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
