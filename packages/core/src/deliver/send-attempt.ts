import { SinkError, type WatchProxyError } from '../errors.js';
import { setLongTimeout } from '../internal/long-timeout.js';
import type { Logger } from '../logger.js';
import { SINK_TIMEOUT_MARGIN_MS, type SendOutcome, type Sink } from '../sink/sink.js';
import type { Batch } from '../types.js';

/** What one attempt needs from its lane. Durations in milliseconds. */
export interface SendAttemptContext {
  readonly sink: Sink;
  /** The attempt's deadline (see `attemptTimeoutFor`). */
  readonly timeoutMs: number;
  /** After aborting, how long to wait for a sink that ignores its signal before giving the attempt up. */
  readonly abortGraceMs: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** Awaited inside the attempt's deadline right before `send` (the emit cache's journal). Default: none. */
  readonly beforeSend?: ((batch: Batch) => Promise<void>) | undefined;
  /** Aborted when the lane closes: the attempt is cut and resolves to `undefined`. */
  readonly lifecycle: AbortSignal;
  /** Called right before `sink.send`, after `beforeSend`: where the lane's `emitIntervalMs` runs from. */
  readonly sending: () => void;
  /** Where each failed attempt is reported (`SinkError`), before the lane decides what to do next. */
  readonly onError: (error: WatchProxyError) => void;
}

/**
 * How long one attempt may take, ms: the lane's `attemptTimeoutMs`, raised to the sink's own `timeoutMs` plus
 * `SINK_TIMEOUT_MARGIN_MS` when that is longer, so a sink's own timeout always fires first and says why.
 */
export function attemptTimeoutFor(sink: Sink, attemptTimeoutMs: number): number {
  const own = sink.timeoutMs;
  const fromSink = typeof own === 'number' && Number.isFinite(own) && own > 0 ? own + SINK_TIMEOUT_MARGIN_MS : 0;
  return Math.max(attemptTimeoutMs, fromSink);
}

/**
 * One `send` with its own AbortSignal and deadline, its result classified as a `SendOutcome`: a timeout, a throw or
 * a missing outcome is `retryable`; every failure (those, and a sink's own `retryable` or `partial`) is reported
 * through `onError`. `activity` is aborted when the lane goes standby. Resolves to `undefined` when the lane closed
 * (`ctx.lifecycle`) or went standby meanwhile: nothing to classify then, the lane holds the batch back or drops it.
 */
export async function sendAttempt(ctx: SendAttemptContext, batch: Batch, attempt: number, activity: AbortSignal): Promise<SendOutcome | undefined> {
  const { sink, lifecycle, timeoutMs } = ctx;
  const name = sink.name;
  const controller = new AbortController();
  const deadline = ctx.now() + timeoutMs;
  const details = { sink: name, batchId: batch.id, attempt, retryable: true };
  let timedOut = false;
  const cleanups: (() => void)[] = [];
  // Settles when the attempt is aborted and the sink has had abortGraceMs to notice: a sink that ignores
  // its signal cannot hold the lane forever.
  const abandoned = new Promise<'abandoned'>((resolve) => {
    const onAbort = (): void => {
      const grace = setLongTimeout(() => resolve('abandoned'), ctx.abortGraceMs).unref();
      cleanups.push(() => grace.clear());
    };
    controller.signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => controller.signal.removeEventListener('abort', onAbort));
  });
  const onClose = (): void => controller.abort(lifecycle.aborted ? lifecycle.reason : activity.reason);
  if (lifecycle.aborted || activity.aborted) return undefined;
  lifecycle.addEventListener('abort', onClose, { once: true });
  activity.addEventListener('abort', onClose, { once: true });
  const timer = setLongTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`attempt timed out after ${timeoutMs} ms`));
  }, timeoutMs).unref();
  const logger = ctx.logger.child({ batchId: batch.id, attempt });
  try {
    const sent = Promise.resolve()
      .then(() => ctx.beforeSend?.(batch))
      .then(() => {
        ctx.sending();
        return sink.send(batch, { signal: controller.signal, attempt, deadline, logger });
      })
      .then(
        (outcome) => ({ outcome }),
        (error: unknown) => ({ error }),
      );
    const result = await Promise.race([sent, abandoned]);
    if (lifecycle.aborted || activity.aborted) return undefined;
    if (timedOut) {
      if (result === 'abandoned') logger.error({}, 'sink ignored its AbortSignal; moving on (see the sink contract)');
      const error = new SinkError('WP_ERR_SINK_TIMEOUT', `sink "${name}" attempt ${attempt} timed out after ${timeoutMs} ms`, details);
      ctx.onError(error);
      return { status: 'retryable', error };
    }
    if (result === 'abandoned') return undefined;
    if ('error' in result) {
      const error = new SinkError('WP_ERR_SINK_SEND', `sink "${name}" send threw: ${String((result.error as Error | undefined)?.message ?? result.error)}`, details, { cause: result.error });
      ctx.onError(error);
      return { status: 'retryable', error };
    }
    const outcome = result.outcome as SendOutcome | undefined;
    if (outcome === undefined || typeof outcome !== 'object' || !('status' in outcome)) {
      const error = new SinkError('WP_ERR_SINK_SEND', `sink "${name}" send resolved without an outcome`, details);
      ctx.onError(error);
      return { status: 'retryable', error };
    }
    if (outcome.status === 'retryable' || outcome.status === 'partial') {
      ctx.onError(new SinkError('WP_ERR_SINK_SEND', `sink "${name}": ${outcome.error.message}`, details, { cause: outcome.error }));
    }
    return outcome;
  } finally {
    timer.clear();
    lifecycle.removeEventListener('abort', onClose);
    activity.removeEventListener('abort', onClose);
    for (const cleanup of cleanups) cleanup();
  }
}
