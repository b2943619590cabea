import type { Logger } from '../logger.js';
import type { Batch, Change } from '../types.js';

/** Passed to every `send`: one per attempt. */
export interface SendContext {
  /** Aborts when the attempt times out and on `destroy()`. Pass it to fetch/sockets: an abort must cancel. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt at this batch, then 2, 3, ... */
  readonly attempt: number;
  /** Epoch milliseconds after which the attempt is aborted; do not schedule work past it. */
  readonly deadline: number;
  /** Child logger bound to `{ sink, batchId }`. */
  readonly logger: Logger;
}

/** Passed to `start` and `close`. */
export interface SinkLifecycleContext {
  /** Aborts when the host gives up waiting (start timeout, shutdown deadline, destroy). */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * How a `send` ended. Core decides what happens next:
 * `delivered` records the batch in the sink's emit cache; `retryable` retries with backoff (after at least
 * `retryAfterMs` when given); `rejected` counts the batch as rejected and does not retry it; `partial`
 * treats the listed item indexes as retryable and the rest as delivered.
 */
export type SendOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'retryable'; readonly error: Error; readonly retryAfterMs?: number }
  | { readonly status: 'rejected'; readonly error: Error }
  | { readonly status: 'partial'; readonly retry: readonly number[]; readonly error: Error };

/**
 * Where batches go. A sink encodes, transmits and classifies; core owns queueing, batching, retries,
 * timeouts and acknowledgement. The full contract (MUST/SHOULD) is docs/sink-contract.md.
 */
export interface Sink<T = Change> {
  /** Unique within one WatchProxy and stable across restarts (`http:inventory`): keys the emit cache. */
  readonly name: string;
  /** Limits the batcher respects for this sink. Each is optional; core's own limits apply otherwise. */
  readonly limits?: { readonly maxItems?: number; readonly maxBytes?: number };
  /** Called once, before any watcher starts. Check the configuration against the environment. */
  start?(ctx: SinkLifecycleContext): Promise<void>;
  /** Deliver one batch. Never called concurrently for one sink. Resolve with an outcome; a throw is retryable. */
  send(batch: Batch<T>, ctx: SendContext): Promise<SendOutcome>;
  /** Called exactly once, last, after the final `send` settled. Release sockets, files and timers. */
  close?(ctx: SinkLifecycleContext): Promise<void>;
}

const DELIVERED: SendOutcome = Object.freeze({ status: 'delivered' });

/** The batch reached its destination. */
export function delivered(): SendOutcome {
  return DELIVERED;
}

/** A transient failure: core retries the batch with backoff, waiting at least `afterMs` when given. */
export function retryable(error: Error, options?: { afterMs?: number }): SendOutcome {
  return options?.afterMs === undefined
    ? { status: 'retryable', error }
    : { status: 'retryable', error, retryAfterMs: options.afterMs };
}

/** A permanent failure: retrying the same batch would fail the same way. */
export function rejected(error: Error): SendOutcome {
  return { status: 'rejected', error };
}

/** Some items failed transiently: `retry` lists their indexes in the batch; the others were delivered. */
export function partial(retry: readonly number[], error: Error): SendOutcome {
  return { status: 'partial', retry, error };
}
