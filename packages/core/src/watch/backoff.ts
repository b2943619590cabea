/** Tuning of a watcher's retry delays. All durations in milliseconds. */
export interface BackoffOptions {
  /** First delay. Default: 800 ms (client-go). */
  readonly baseMs?: number | undefined;
  /** Upper bound for transient failures (network, 5xx, 429). Default: 30,000 ms. */
  readonly capMs?: number | undefined;
  /** Upper bound while degraded (403, 404, other 4xx). Default: 300,000 ms. */
  readonly degradedCapMs?: number | undefined;
  /** After this long of healthy operation, the next failure starts again from `baseMs`. Default: 120,000 ms. */
  readonly resetAfterMs?: number | undefined;
  /** Random source in [0, 1), injectable for tests. Default: `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/**
 * Exponential backoff with jitter, one per reflector and shared by list and watch: delay = min(cap, base * 2^n)
 * scaled by a random factor in [0.5, 1.5), so reflectors that failed together do not retry together (client-go
 * uses a similar jitter; full jitter would allow near-zero delays that hammer a recovering apiserver).
 */
export class Backoff {
  readonly #base: number;
  readonly #cap: number;
  readonly #degradedCap: number;
  readonly #resetAfter: number;
  readonly #random: () => number;
  #attempt = 0;
  #healthySince: number | undefined;

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? 800;
    this.#cap = options.capMs ?? 30_000;
    this.#degradedCap = options.degradedCapMs ?? 300_000;
    this.#resetAfter = options.resetAfterMs ?? 120_000;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures counted so far (0 after a reset). */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * The delay before the next attempt, in milliseconds, and counts the failure. `now` is epoch ms;
   * `minMs` (a server's `Retry-After`) raises the delay, bounded by the degraded cap.
   */
  next(now: number, options: { degraded?: boolean; minMs?: number | undefined } = {}): number {
    if (this.#healthySince !== undefined && now - this.#healthySince >= this.#resetAfter) this.#attempt = 0;
    this.#healthySince = undefined;
    const cap = options.degraded === true ? this.#degradedCap : this.#cap;
    const raw = Math.min(cap, this.#base * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    const jittered = Math.min(cap * 1.5, raw * (0.5 + this.#random()));
    const floor = Math.min(options.minMs ?? 0, this.#degradedCap);
    return Math.round(Math.max(jittered, floor));
  }

  /**
   * Records that things work (a watch stream is open). The first call after a failure starts a healthy period;
   * a failure after `resetAfterMs` of it starts again from `baseMs`. `now` is epoch ms.
   */
  markHealthy(now: number): void {
    this.#healthySince ??= now;
  }

  /** Forgets past failures at once. */
  reset(): void {
    this.#attempt = 0;
    this.#healthySince = undefined;
  }
}
