import { setLongTimeout, type LongTimer } from '../internal/long-timeout.js';
import type { SinkLane } from './sink-lane.js';

/** How `drainLanes` waits. */
export interface DrainOptions {
  /** Longest wait, ms; `Infinity`: until every lane is idle. */
  readonly timeoutMs: number;
  /**
   * Whether batches keep `emitIntervalMs` meanwhile (a shutdown: what does not fit is re-derived from the persisted
   * cache at the next start); otherwise they go back to back.
   */
  readonly keepInterval: boolean;
  /**
   * Receives a function that ends a bounded wait at once with `false` (a destroy); not called for an unbounded
   * one, which only the lanes end.
   */
  readonly cuttable?: ((cut: () => void) => void) | undefined;
}

/**
 * Flushes every lane and resolves `true` once all are idle, or `false` when `timeoutMs` passed first (a sink
 * that is down keeps its changes queued) or the wait was cut.
 */
export async function drainLanes(lanes: readonly SinkLane[], options: DrainOptions): Promise<boolean> {
  const flush = { keepInterval: options.keepInterval };
  if (options.timeoutMs === Infinity) return Promise.all(lanes.map((lane) => lane.flush(undefined, flush))).then(() => true);
  // Aborted when the deadline wins, so the lanes stop flushing (skipping the interval) once nobody waits.
  const giveUp = new AbortController();
  const all = Promise.all(lanes.map((lane) => lane.flush(giveUp.signal, flush))).then(() => true);
  let timer: LongTimer | undefined;
  const stopEarly = new Promise<boolean>((resolve) => {
    timer = setLongTimeout(() => resolve(false), options.timeoutMs).unref();
    options.cuttable?.(() => resolve(false));
  });
  try {
    return await Promise.race([all, stopEarly]);
  } finally {
    timer?.clear();
    giveUp.abort();
  }
}
