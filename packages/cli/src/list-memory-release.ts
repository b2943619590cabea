/**
 * Gives back the memory a list's garbage made the process grow to. An initial sync or relist parses every listed
 * object and queues a change for each; V8 grows its heap for that peak and, after collecting the garbage, keeps
 * the freed pages pooled for reuse instead of returning them to the system. At 100,000 ConfigMaps that pool was
 * ~700 MiB of RSS over a 130 MiB heap, kept for the life of the process: what a memory limit has to be sized for.
 * Once the listed objects are delivered, one compacting collection that also releases the pool brings RSS back
 * to what the objects need (1,060 -> 330 MiB measured, see docs/benchmarks.md); V8's own memory reducer, which
 * runs on idle, does not release the pool.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { Logger, WatchProxy } from '@watch-proxy/core';

/** How often a pending release checks whether the listed objects were delivered, ms. */
export const RELEASE_CHECK_MS = 1000;

/**
 * The least time between two releases, ms: the collection is a full compacting one (~0.1-0.5 s of CPU at
 * 100,000 objects), and relists in a row (a flapping apiserver) should not pay it each time.
 */
export const RELEASE_MIN_INTERVAL_MS = 60_000;

/** What the release needs of a pipeline: its `synced` events and the lanes' backlogs. */
export type ReleasedPipeline = Pick<WatchProxy, 'on' | 'off' | 'stats'>;

/** Options of {@link createListMemoryRelease}. */
export interface ListMemoryReleaseOptions {
  readonly logger: Logger;
  /** Runs the collection. Default: V8's last-resort collection ({@link lastResortCollection}). */
  readonly collect?: (() => void) | undefined;
  /** Default {@link RELEASE_CHECK_MS}. */
  readonly checkMs?: number | undefined;
  /** Default {@link RELEASE_MIN_INTERVAL_MS}. */
  readonly minIntervalMs?: number | undefined;
  /** Current time, ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Resident set size, bytes, for the log line. Default `process.memoryUsage.rss`. */
  readonly rss?: (() => number) | undefined;
}

/** A running release, following the daemon's pipeline across reloads. */
export interface ListMemoryRelease {
  /** Follows `proxy` (undefined: none runs); a new pipeline lists everything, so a release becomes pending. */
  bind(proxy: ReleasedPipeline | undefined): void;
  /** Stops checking. Idempotent. */
  close(): void;
}

/**
 * After each list (a `synced` event), waits until every lane of every cluster has nothing queued or in flight,
 * then runs one collection, at most once per `minIntervalMs`. Checks only while a release is pending, on an
 * unref'd timer, so an idle daemon pays nothing. Without a way to collect (see {@link lastResortCollection}) it
 * does nothing.
 */
export function createListMemoryRelease(options: ListMemoryReleaseOptions): ListMemoryRelease {
  const { logger } = options;
  const collect = options.collect ?? lastResortCollection(logger);
  const checkMs = options.checkMs ?? RELEASE_CHECK_MS;
  const minIntervalMs = options.minIntervalMs ?? RELEASE_MIN_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const rss = options.rss ?? ((): number => process.memoryUsage.rss());
  let proxy: ReleasedPipeline | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;

  const stopChecking = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  const check = (): void => {
    if (proxy === undefined || collect === undefined) return stopChecking();
    if (now() - lastAt < minIntervalMs || !delivered(proxy)) return;
    stopChecking();
    const before = rss();
    const started = now();
    collect();
    lastAt = now();
    logger.debug({ rssBeforeMiB: mib(before), rssAfterMiB: mib(rss()), ms: lastAt - started }, 'released the memory of the last list');
  };
  const onSynced = (): void => {
    if (timer !== undefined || collect === undefined) return;
    timer = setInterval(check, checkMs);
    timer.unref();
  };

  return {
    bind(next) {
      proxy?.off('synced', onSynced);
      stopChecking();
      proxy = next;
      proxy?.on('synced', onSynced);
    },
    close() {
      proxy?.off('synced', onSynced);
      proxy = undefined;
      stopChecking();
    },
  };
}

/** Whether the pipeline runs and no lane of any cluster holds a queued or in-flight change. */
function delivered(proxy: ReleasedPipeline): boolean {
  const stats = proxy.stats();
  if (stats.state !== 'running') return false;
  const lanes = [stats.sinks, ...Object.values(stats.clusters ?? {}).map((c) => c.sinks)].flatMap((sinks) => Object.values(sinks));
  return lanes.every((lane) => lane.queued === 0 && lane.inFlight === 0);
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/**
 * V8's last-resort collection (full, compacting, and releasing pooled pages), which only `gc()` with
 * `{ flavor: 'last-resort' }` reaches. `gc` is the process's own when started with `--expose-gc`; otherwise the
 * flag is set now and `gc` taken from a new context, since a context created after the flag has it (the flag
 * changes nothing else). Undefined, logged once, when neither works.
 */
export function lastResortCollection(logger: Logger): (() => void) | undefined {
  type Gc = (options: { readonly type: 'major'; readonly execution: 'sync'; readonly flavor: 'last-resort' }) => void;
  let gc = (globalThis as { gc?: Gc }).gc;
  try {
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc | undefined;
    }
  } catch (error) {
    logger.debug({ err: error }, 'no garbage collection to release list memory with');
    return undefined;
  }
  if (typeof gc !== 'function') {
    logger.debug({}, 'no garbage collection to release list memory with');
    return undefined;
  }
  const run = gc;
  return () => run({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
