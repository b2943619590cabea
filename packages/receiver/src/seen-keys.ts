/**
 * Idempotency keys of batches already processed, bounded in count and age: the oldest key goes first when full,
 * and a key older than `ttlMs` no longer counts. Memory is about `maxKeys` x 100 bytes (a key is a 36-character
 * UUID).
 */
export class SeenKeys {
  readonly #keys = new Map<string, number>();
  readonly #maxKeys: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /**
   * @param maxKeys - most keys remembered (default 10,000).
   * @param ttlMs - how long a key is remembered, ms (default 1 hour: the retry window a receiver should cover).
   * @param now - the clock, epoch ms (default `Date.now`).
   */
  constructor(maxKeys = 10_000, ttlMs = 3_600_000, now: () => number = Date.now) {
    this.#maxKeys = Math.max(1, maxKeys);
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#keys.size;
  }

  /** Whether `key` was processed within the last `ttlMs`. */
  has(key: string): boolean {
    const at = this.#keys.get(key);
    if (at === undefined) return false;
    if (this.#now() - at <= this.#ttlMs) return true;
    this.#keys.delete(key);
    return false;
  }

  /** Remembers `key` as processed now, forgetting the oldest key when full. */
  add(key: string): void {
    this.#keys.delete(key);
    this.#keys.set(key, this.#now());
    while (this.#keys.size > this.#maxKeys) {
      const oldest = this.#keys.keys().next().value;
      if (oldest === undefined) break;
      this.#keys.delete(oldest);
    }
  }
}
