import type { Counter } from 'prom-client';

/**
 * Feeds a Prometheus counter from totals read in snapshots (a watcher's `relists`, the pipeline's `received`).
 * Those totals restart at 0 whenever their owner is re-created (a resource removed and re-added by a hot
 * reload, a new `WatchProxy`), while a Prometheus counter must never go down: each label set remembers the
 * last total it saw and the counter grows by the difference, or by the whole new total after a restart.
 */
export class CounterFeed<L extends string> {
  readonly #counter: Counter<L>;
  readonly #last = new Map<string, number>();

  constructor(counter: Counter<L>) {
    this.#counter = counter;
  }

  /** Forgets the totals seen: their owner was replaced, and the next totals are counted whole. */
  restart(): void {
    this.#last.clear();
  }

  /**
   * Records that the total for `labels` is now `total` (a non-negative number). Idempotent for equal totals. A
   * label may be left out (`cluster` without `clusters:`): the series is exported without it.
   */
  set(labels: Readonly<Partial<Record<L, string>>>, total: number): void {
    if (!Number.isFinite(total) || total < 0) return;
    const key = JSON.stringify(labels);
    const last = this.#last.get(key);
    this.#last.set(key, total);
    const increase = last === undefined || total < last ? total : total - last;
    // Touch the series even for 0, so it is exported (rate() needs the first sample to be 0, not absent).
    this.#counter.inc(labels, increase);
  }
}
