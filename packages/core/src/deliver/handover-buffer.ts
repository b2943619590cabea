import type { Change } from '../types.js';

/** How long a standby lane keeps a delete for the handover by default, ms (1 minute). */
export const HANDOVER_WINDOW_MS = 60_000;

/**
 * The deletes a standby lane saw, kept for when it takes over: the previous holder may have delivered the object
 * without recording it in the shared cache yet, and the replay on activation cannot re-create a delete (the object
 * is gone). One entry per object incarnation (key and uid), oldest first; entries older than the window are
 * forgotten, since the holder then had time to record them as delivered. Adds and updates are not kept: the replay
 * re-creates them.
 */
export class HandoverBuffer {
  readonly #deletes = new Map<string, Change>();
  readonly #windowMs: number;
  readonly #now: () => number;

  /** `windowMs`: how long a delete is kept, ms (default `HANDOVER_WINDOW_MS`). `now`: epoch ms. */
  constructor(options: { readonly windowMs?: number | undefined; readonly now: () => number }) {
    this.#windowMs = options.windowMs ?? HANDOVER_WINDOW_MS;
    this.#now = options.now;
  }

  /** Keeps `change` (a delete) as the newest entry, replacing an earlier one of the same incarnation. */
  remember(change: Change): void {
    const id = `${change.key}\u0000${change.uid}`;
    this.#deletes.delete(id);
    this.#deletes.set(id, change);
    this.prune();
  }

  /** Forgets deletes observed before the window. */
  prune(): void {
    const oldest = this.#now() - this.#windowMs;
    for (const [id, change] of this.#deletes) {
      if (change.observedAt >= oldest) break;
      this.#deletes.delete(id);
    }
  }

  /** Removes and returns what is kept (within the window), oldest first. */
  take(): Change[] {
    this.prune();
    const deletes = [...this.#deletes.values()];
    this.#deletes.clear();
    return deletes;
  }
}
