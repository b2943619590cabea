import type { EmitCache } from '../cache/emit-cache.js';
import type { WatchProxyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Sink } from '../sink/sink.js';
import type { Batch, Change, DropReason } from '../types.js';
import type { DeadLetterLog } from './dead-letter-file.js';
import type { RetryPolicy } from './retry-policy.js';

// What a `SinkLane` is given (settings, hooks and the defaults of its timing) and what it reports (stats).

/** Settings of one lane. Durations in milliseconds. */
export interface SinkLaneOptions {
  readonly sink: Sink;
  readonly cache: EmitCache;
  readonly logger: Logger;
  /**
   * A number: at most one batch starts per this many ms; a lane that started none for that long sends at once.
   * `'adaptive'`: a full batch (`maxObjects` or `maxBytes`) starts as soon as the previous one is done, a partial
   * one `ADAPTIVE_LINGER_MS` after the previous one started (at once when the lane was idle for that long).
   */
  readonly emitIntervalMs: number | 'adaptive';
  /** Most changes per batch. */
  readonly maxObjects: number;
  /** Most estimated JSON bytes per batch (a single larger change still goes, alone). */
  readonly maxBytes: number;
  /**
   * Each `send` attempt is aborted after this, or after the sink's own `timeoutMs` plus `SINK_TIMEOUT_MARGIN_MS`
   * when that is longer.
   */
  readonly attemptTimeoutMs: number;
  /** After aborting, how long to wait for a sink that ignores its signal before moving on. */
  readonly abortGraceMs: number;
  readonly retry: RetryPolicy;
  readonly now: () => number;
  readonly random: () => number;
  readonly hooks: LaneHooks;
  /**
   * Checked right before every send attempt (a leader-election gate's `open`); false holds the batch back.
   * Default: always true.
   */
  readonly mayDeliver?: (() => boolean) | undefined;
  /**
   * While standby, how long a delete seen is kept to be sent on activation (the previous holder may have
   * delivered the object without recording it in the shared cache yet), ms. Default: `HANDOVER_WINDOW_MS` (60 000).
   */
  readonly handoverWindowMs?: number | undefined;
  /**
   * While still active but `mayDeliver` reads false (a gate closed on the clock before its transition), how often
   * to look at it again with work queued, ms. Default: `GATE_RECHECK_MS`.
   */
  readonly gateRecheckMs?: number | undefined;
  /**
   * Awaited right before every `send` attempt, inside the attempt's deadline: where the emit cache journals what
   * is about to reach the receiver, so a crash during the send cannot make it forget the object. Should not
   * reject (a rejection counts as a failed attempt). Default: none.
   */
  readonly beforeSend?: ((batch: Batch) => Promise<void>) | undefined;
  /**
   * How long a change the sink refused stays owed before it is tried again (it also goes with the object's next
   * change), ms. Default: `REJECTED_RETRY_MS`.
   */
  readonly rejectedRetryMs?: number | undefined;
  /** Where refused changes are written for operators (the dead-letter file). Default: none (logged only). */
  readonly deadLetter?: DeadLetterLog | undefined;
  /**
   * Whether an add and the delete of the same object, both still queued, cancel out (dropped as `coalesced`).
   * False sends both, as the original did. Default: true.
   */
  readonly cancelAddDelete?: boolean | undefined;
  /**
   * Whether an update goes as an RFC 6902 JSON Patch from the state last delivered to this sink (`Change.delta`;
   * see `DeltaShaper` for when it goes whole anyway). Default: false (every change carries the whole object).
   */
  readonly deltaUpdates?: boolean | undefined;
}

/**
 * How often an active lane with work queued looks at a gate that reads closed again, ms. A gate can reopen without
 * a transition (a `LeaseElector` whose renewal succeeded just after its deadline passed), and nothing else would
 * wake the lane then. Half the elector's default retry period: a held-back batch waits about one renewal at most,
 * and a lane whose gate stays closed wakes once a second until the gate's transition makes it a standby.
 */
export const GATE_RECHECK_MS = 1000;

/**
 * With `emitIntervalMs: 'adaptive'`, how long after a batch started the next one waits when it is not full, ms.
 * Changes that arrive while a batch is in flight then share the next one instead of each taking a round trip,
 * at most ~100 partial batches per second per sink, and the wait adds at most this much latency under load (an
 * idle lane sends at once). Full batches do not wait: throughput is bounded by the sink's round trip, not by a
 * ticker. 10 ms is the low end of the 10-20 ms linger that keeps p50 <= 20 ms at 1,000 changes/s.
 */
export const ADAPTIVE_LINGER_MS = 10;

/** How a lane reports what happened; the WatchProxy turns these into events, stats and `onError`. */
export interface LaneHooks {
  emitted(sink: string, batch: Batch, attempts: number): void;
  dropped(sink: string, changes: readonly Change[], reason: DropReason): void;
  retrying(sink: string, info: { readonly batchId: string; readonly attempt: number; readonly delayMs: number; readonly error: Error }): void;
  error(error: WatchProxyError): void;
}

/** Counters of one lane; all monotonic except the gauges `queued`, `inFlight` and `cached`. */
export interface LaneStats {
  /** Changes waiting (after coalescing): bounded by the sink's live objects. */
  readonly queued: number;
  /** Objects in the batch being sent (including its retries). */
  readonly inFlight: number;
  /** Objects in the sink's emit cache: what the receiver is known to hold. */
  readonly cached: number;
  /** Changes the sink confirmed. */
  readonly delivered: number;
  /** Batches cut (a retried batch counts once). */
  readonly batches: number;
  /** Failed attempts that were retried. */
  readonly retries: number;
  /** Changes the sink refused on their own or with the whole endpoint (each refusal counts; they stay owed). */
  readonly rejected: number;
  /** Changes refused and owed: tried again every `rejectedRetryMs` and with their object's next change. */
  readonly owed: number;
  /** Dead-letter records written, and discarded by rotation or a failed write (zeros without a file). */
  readonly deadLetters: { readonly written: number; readonly discarded: number };
  /** Changes not delivered to this sink, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
}
