import type { RejectionKind, SendOutcome } from '../sink/sink.js';
import type { Change } from '../types.js';
import { splitForBisection } from './bisect-plan.js';

/** What a lane does with a batch after one attempt. */
export type OutcomePlan =
  /** Everything arrived: record it all as delivered. */
  | { readonly step: 'ack' }
  /** Some arrived: record `done` as delivered; `again` (empty: nothing) is retried after a backoff, as a batch. */
  | { readonly step: 'ack-part'; readonly done: readonly Change[]; readonly again: readonly Change[]; readonly error: Error }
  /** Refused as a whole: send the two halves next, in order; `lowerMaxBytes` after "too large". */
  | ({ readonly step: 'split'; readonly halves: readonly [readonly Change[], readonly Change[]]; readonly lowerMaxBytes: boolean } & Refusal)
  /** Refused on its own (or by the whole endpoint): keep it owed. */
  | ({ readonly step: 'owe' } & Refusal)
  /**
   * The receiver lacks the base of the patches in `again`: record `done` as delivered, send `again` in full (at once
   * for the patches; after a backoff when a whole object was named, which no missing base explains).
   */
  | { readonly step: 'resend'; readonly done: readonly Change[]; readonly again: readonly Change[]; readonly error: Error }
  /** Failed: try the same batch again after a backoff, not before `retryAfterMs` when the sink said so. */
  | { readonly step: 'retry'; readonly error: Error; readonly retryAfterMs: number | undefined };

/** What the sink said when it refused a batch, for logs, the error and the dead-letter file. */
export interface Refusal {
  /** What was refused (`content` unless the sink said otherwise). */
  readonly kind: RejectionKind;
  /** The destination's answer (an HTTP status), when the sink gave one. */
  readonly code: number | string | undefined;
  readonly error: Error;
}

const ACK: OutcomePlan = Object.freeze({ step: 'ack' });

/**
 * The delivery policy, in one table: what an attempt's outcome means for the batch `items` it sent. A refusal is
 * about the content unless the sink says otherwise; a batch of several objects refused for its content or size is
 * bisected (see `splitForBisection`) until what the sink refuses on its own is found, which stays owed like
 * everything an endpoint refuses as a whole. Indexes of a `partial` or `resend` outcome outside the batch are ignored.
 */
export function planOutcome(outcome: SendOutcome, items: readonly Change[]): OutcomePlan {
  switch (outcome.status) {
    case 'delivered':
      return ACK;
    case 'retryable':
      return { step: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs };
    case 'rejected': {
      const kind = outcome.kind ?? 'content';
      // An endpoint that refuses data refuses every part of it: splitting would only multiply the refusals.
      const halves = kind === 'endpoint' ? undefined : splitForBisection(items);
      const { code, error } = outcome;
      return halves === undefined ? { step: 'owe', kind, code, error } : { step: 'split', halves, lowerMaxBytes: kind === 'too-large', kind, code, error };
    }
    case 'partial': {
      const retry = indexesIn(outcome.retry, items);
      return {
        step: 'ack-part',
        done: items.filter((_c, i) => !retry.has(i)),
        again: items.filter((_c, i) => retry.has(i)),
        error: outcome.error,
      };
    }
    case 'resend': {
      const resend = indexesIn(outcome.resend, items);
      return {
        step: 'resend',
        done: items.filter((_c, i) => !resend.has(i)),
        again: items.filter((_c, i) => resend.has(i)),
        error: outcome.error,
      };
    }
  }
}

/** The valid indexes of `items` among `indexes`. */
function indexesIn(indexes: readonly number[], items: readonly Change[]): Set<number> {
  return new Set(indexes.filter((i) => Number.isInteger(i) && i >= 0 && i < items.length));
}
