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
 * Why a destination refused a batch, as far as the sink can tell; it decides how core finds what can still go:
 * - `'content'` (the default): something in the batch is refused (a 400 or 422 about one object): core splits
 *   the batch by bisection, delivers the rest, and keeps the items refused on their own owed.
 * - `'too-large'`: the batch as a whole is too big (413): core splits it until the parts fit and cuts smaller
 *   batches from then on; an item too large on its own is kept owed.
 * - `'endpoint'`: the destination refuses any data right now (a redirect, 401, 403, 404): splitting cannot help,
 *   so core keeps every item owed without sending it piece by piece.
 */
export type RejectionKind = 'content' | 'too-large' | 'endpoint';

/**
 * How a `send` ended. Core decides what happens next:
 * `delivered` records the batch in the sink's emit cache; `retryable` retries with backoff (after at least
 * `retryAfterMs` when given); `rejected` isolates what was refused (see `RejectionKind`), delivers the rest, and
 * keeps the refused items owed: retried on a slow schedule and with their next change, never recorded as
 * delivered; `partial` treats the listed item indexes as retryable and the rest as delivered; `resend` (the
 * receiver lacks the base of the listed items' patches, see `deltaUpdates`) sends the listed items again at once
 * as whole objects and treats the rest as delivered.
 */
export type SendOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'retryable'; readonly error: Error; readonly retryAfterMs?: number }
  | {
      readonly status: 'rejected';
      readonly error: Error;
      /** Default: `'content'`. */
      readonly kind?: RejectionKind;
      /** What the destination answered, for logs and the dead-letter file (an HTTP status: 413). No content. */
      readonly code?: number | string;
    }
  | { readonly status: 'partial'; readonly retry: readonly number[]; readonly error: Error }
  | { readonly status: 'resend'; readonly resend: readonly number[]; readonly error: Error };

/**
 * Where batches go. A sink encodes, transmits and classifies; core owns queueing, batching, retries,
 * timeouts and acknowledgement. The full contract (MUST/SHOULD) is docs/sink-contract.md.
 */
export interface Sink<T = Change> {
  /** Unique within one WatchProxy and stable across restarts (`http:inventory`): keys the emit cache. */
  readonly name: string;
  /** Limits the batcher respects for this sink. Each is optional; core's own limits apply otherwise. */
  readonly limits?: { readonly maxItems?: number; readonly maxBytes?: number };
  /**
   * How long one `send` may take by the sink's own settings (an HTTP endpoint's `timeout`), ms. Core's attempt
   * timeout for this sink is raised to this plus `SINK_TIMEOUT_MARGIN_MS` when that is longer, so the sink's own
   * timeout fires first and classifies the failure. Default: none (core's `attemptTimeoutMs` applies).
   */
  readonly timeoutMs?: number;
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

/**
 * A permanent failure: retrying the same batch would fail the same way. `kind` says whether the content, the size
 * or the endpoint is refused (default `'content'`); `code` is the destination's answer (an HTTP status), shown in
 * logs and the dead-letter file.
 */
export function rejected(error: Error, options?: { readonly kind?: RejectionKind; readonly code?: number | string }): SendOutcome {
  return {
    status: 'rejected',
    error,
    ...(options?.kind === undefined ? {} : { kind: options.kind }),
    ...(options?.code === undefined ? {} : { code: options.code }),
  };
}

/**
 * How much longer than a sink's own `timeoutMs` core waits before aborting an attempt, ms: enough for the sink's
 * timer to fire and its answer to reach core first.
 */
export const SINK_TIMEOUT_MARGIN_MS = 1000;

/** Some items failed transiently: `retry` lists their indexes in the batch; the others were delivered. */
export function partial(retry: readonly number[], error: Error): SendOutcome {
  return { status: 'partial', retry, error };
}

/**
 * The receiver could not apply the patches of the items at indexes `items` (it lacks their base state: it lost its
 * state, or never got the full object): core sends those objects again at once in full; the other items were
 * delivered. An index whose item was already sent in full is retried after a backoff instead, like `partial`.
 */
export function resend(items: readonly number[], error: Error): SendOutcome {
  return { status: 'resend', resend: items, error };
}
