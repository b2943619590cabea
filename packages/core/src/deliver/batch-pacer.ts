import { ADAPTIVE_LINGER_MS } from './lane-contract.js';

/**
 * When a lane may start its next batch: one per `emitIntervalMs` counted from the previous send itself, or with
 * `'adaptive'` at once when the batch is as big as it gets and `ADAPTIVE_LINGER_MS` after the previous one otherwise.
 */
export class BatchPacer {
  readonly #interval: number | 'adaptive';
  readonly #now: () => number;
  #lastBatchAt = Number.NEGATIVE_INFINITY;

  /**
   * @param interval - the lane's `emitIntervalMs` (ms between batch starts) or `'adaptive'`.
   * @param now - epoch ms.
   */
  constructor(interval: number | 'adaptive', now: () => number) {
    this.#interval = interval;
    this.#now = now;
  }

  /** A batch starts (or its send begins) now: the next one is paced from here. */
  started(): void {
    this.#lastBatchAt = this.#now();
  }

  /**
   * How long the next batch must still wait, ms (0 or less: it may start now). `ready` says whether it is already
   * as big as it gets: with `'adaptive'`, waiting cannot make it bigger, only later.
   */
  wait(ready: () => boolean): number {
    if (this.#interval !== 'adaptive') return this.#lastBatchAt + this.#interval - this.#now();
    if (ready()) return 0;
    return this.#lastBatchAt + ADAPTIVE_LINGER_MS - this.#now();
  }
}
