import { SinkError, type WatchProxyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Batch } from '../types.js';
import type { DeadLetterLog } from './dead-letter-file.js';
import type { LaneBacklog } from './lane-backlog.js';
import type { OutcomePlan, Refusal } from './outcome-plan.js';

/**
 * How long a refused change waits before it is tried again by default, ms (5 minutes): a receiver that refuses
 * something usually needs a fix or a deploy, and trying every 5 minutes costs it little while bounding how long it
 * stays out of sync once fixed.
 */
export const REJECTED_RETRY_MS = 300_000;

/** Settings of a `RefusalHandler`. Durations in milliseconds. */
export interface RefusalHandlerOptions {
  /** The sink's name, for errors, logs and dead-letter records. */
  readonly sinkName: string;
  /** Where the halves of a split batch and owed changes go. */
  readonly backlog: LaneBacklog;
  readonly logger: Logger;
  /** Epoch ms. */
  readonly now: () => number;
  /** The configured most estimated JSON bytes per batch, before any "too large" answer. */
  readonly maxBytes: number;
  /** How long a refused change stays owed before it is tried again. Default: `REJECTED_RETRY_MS`. */
  readonly rejectedRetryMs?: number | undefined;
  /** Where refused changes are written for operators. Default: none (logged only). */
  readonly deadLetter?: DeadLetterLog | undefined;
  /** Where each refusal is reported (`SinkError` `WP_ERR_SINK_REJECTED`). */
  readonly onError: (error: WatchProxyError) => void;
}

/**
 * What a lane does when its sink refuses a batch (see `planOutcome`): a splittable batch goes on in two parts, and
 * after "too large" every batch from then on is cut smaller; what is refused on its own stays owed, is counted,
 * reported by key (never content) and written to the dead-letter file.
 */
export class RefusalHandler {
  readonly #o: RefusalHandlerOptions;
  #maxBytes: number;
  #rejected = 0;

  constructor(options: RefusalHandlerOptions) {
    this.#o = options;
    this.#maxBytes = options.maxBytes;
  }

  /** Most estimated JSON bytes per batch to cut: `maxBytes`, lowered when the sink said a batch was too large. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Changes refused so far (each refusal counts). */
  get rejected(): number {
    return this.#rejected;
  }

  /**
   * The sink refused `batch` as a whole: both halves go next, in order, so bisection finds what the sink refuses on
   * its own and everything else is delivered (a "too large" answer also lowers the size of the batches cut from now on).
   */
  split(batch: Batch, plan: Extract<OutcomePlan, { step: 'split' }>): void {
    if (plan.lowerMaxBytes) this.#lowerMaxBytes(batch.bytes, plan.code);
    this.#o.logger.debug(
      { batchId: batch.id, items: batch.items.length, code: plan.code, kind: plan.kind },
      'sink refused a batch; sending it in two parts to find what it refuses',
    );
    this.#o.backlog.split(plan.halves, this.#o.now());
  }

  /** Keeps refused changes owed: counted, logged by key (never content), written to the dead-letter file. */
  owe(batch: Batch, refusal: Refusal, attempt: number): void {
    const name = this.#o.sinkName;
    const items = batch.items;
    this.#rejected += items.length;
    const retryMs = this.#o.rejectedRetryMs ?? REJECTED_RETRY_MS;
    const what = items.length === 1 ? `${items[0]?.key} (uid ${items[0]?.uid})` : `${items.length} changes (${items[0]?.key} first)`;
    const answer = refusal.code === undefined ? '' : ` with ${refusal.code}`;
    this.#o.onError(
      new SinkError(
        'WP_ERR_SINK_REJECTED',
        `sink "${name}" refused ${what}${answer}: ${refusal.error.message}; kept owed, tried again in ${Math.round(retryMs / 1000)} s or with its next change`,
        { sink: name, batchId: batch.id, attempt, retryable: false },
        { cause: refusal.error },
      ),
    );
    const time = new Date(this.#o.now()).toISOString();
    for (const change of items) {
      this.#o.deadLetter?.record({
        time,
        endpoint: name,
        key: change.key,
        resource: change.resource,
        namespace: change.namespace,
        name: change.name,
        uid: change.uid,
        event: change.event,
        kind: refusal.kind,
        ...(refusal.code === undefined ? {} : { code: refusal.code }),
        reason: refusal.error.message,
      });
    }
    this.#o.backlog.owe(items, this.#o.now() + retryMs);
  }

  /** After "too large": batches from now on are cut at about half the refused size (never raised again). */
  #lowerMaxBytes(refusedBytes: number, code: number | string | undefined): void {
    const next = Math.max(1, Math.floor(refusedBytes / 2));
    if (next >= this.#maxBytes) return;
    this.#maxBytes = next;
    this.#o.logger.warn(
      { refusedBytes, maxBytes: next, code },
      'sink refused a batch as too large: cutting smaller batches from now on (set emitBatchMaxBytes below the receiver\'s body limit)',
    );
  }
}
