import type { SendContext, SendOutcome, Sink, SinkLifecycleContext } from '../sink/sink.js';
import type { Batch, Change, KubeObject } from '../types.js';

/** Decides a `MemorySink`'s answer to one send; the default delivers everything. */
export type MemorySinkBehaviour = (batch: Batch, ctx: SendContext) => SendOutcome | Promise<SendOutcome>;

/** Options of `new MemorySink()`. */
export interface MemorySinkOptions {
  /** Default: `'memory'`. */
  readonly name?: string;
  /** Default: deliver. Swap at any time through `behaviour`. */
  readonly behaviour?: MemorySinkBehaviour;
}

/**
 * A sink that keeps what it was sent, for tests (yours and ours): `batches` in order, `changes` flattened, and
 * `view()`, the receiver's picture of the cluster rebuilt by replaying every delivered change (the convergence
 * check). Only batches answered `delivered` (or the delivered part of a `partial`) count as received.
 */
export class MemorySink implements Sink {
  readonly name: string;
  /** What decides the next answer; replace it to simulate outages. */
  behaviour: MemorySinkBehaviour;
  /** Every delivered batch, in order (partial answers: only the delivered items). */
  readonly batches: Batch[] = [];
  /** Number of `send` calls, whatever their outcome. */
  attempts = 0;
  started = 0;
  closed = 0;
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(options: MemorySinkOptions = {}) {
    this.name = options.name ?? 'memory';
    this.behaviour = options.behaviour ?? (() => ({ status: 'delivered' }));
  }

  async start(_ctx: SinkLifecycleContext): Promise<void> {
    this.started++;
  }

  async send(batch: Batch, ctx: SendContext): Promise<SendOutcome> {
    this.attempts++;
    const outcome = await this.behaviour(batch, ctx);
    if (outcome.status === 'delivered') this.batches.push(batch);
    if (outcome.status === 'partial') {
      const retry = new Set(outcome.retry);
      this.batches.push({ ...batch, items: batch.items.filter((_c, i) => !retry.has(i)) });
    }
    this.#check();
    return outcome;
  }

  async close(_ctx: SinkLifecycleContext): Promise<void> {
    this.closed++;
  }

  /** Every delivered change, in delivery order. */
  get changes(): Change[] {
    return this.batches.flatMap((b) => [...b.items]);
  }

  /** The receiver's view: key → last delivered object, deletes removed. */
  view(): Map<string, KubeObject> {
    const state = new Map<string, KubeObject>();
    for (const change of this.changes) {
      if (change.event === 'delete') {
        // Only forget the deleted incarnation: a delete of an old uid must not remove its successor.
        const current = state.get(change.key);
        const uid = (current?.['metadata'] as { uid?: string } | undefined)?.uid;
        if (uid === undefined || uid === change.uid) state.delete(change.key);
      } else {
        state.set(change.key, change.object);
      }
    }
    return state;
  }

  /** Forgets everything received (counters too). */
  reset(): void {
    this.batches.length = 0;
    this.attempts = 0;
  }

  /**
   * Resolves once `check()` holds after a delivery (or at once if it already holds); rejects after `timeoutMs`
   * (default 10 000 ms) with a message naming what was awaited. For tests that wait on real I/O without sleeps.
   */
  waitFor(check: (sink: this) => boolean, options: { readonly timeoutMs?: number; readonly what?: string } = {}): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`MemorySink "${this.name}": timed out waiting for ${options.what ?? 'a condition'}`));
      }, options.timeoutMs ?? 10_000);
      const waiter = {
        check: () => check(this),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #check(): void {
    const ready = this.#waiters.filter((w) => w.check());
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
