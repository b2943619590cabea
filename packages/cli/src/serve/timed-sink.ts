import type { Batch, SendContext, SendOutcome, Sink } from '@watch-proxy/core';

import type { SendObservation } from './metrics-snapshot.js';

/** Where `timedSink` reports; `WatchProxyMetrics` fits. */
export interface SendObserver {
  observeSend(endpoint: string, observation: SendObservation): void;
}

/**
 * Wraps a sink so that every `send` attempt is timed and reported to `observer` under the sink's name (the
 * `endpoint` label): its duration in seconds, its outcome (a throw counts as `retryable`, as core treats it, and
 * is re-thrown unchanged), its objects and its attempt number. Everything else (`name`, `limits`, `timeoutMs`,
 * `start`, `close`) is the wrapped sink's own, so the emit cache and the sink contract are unaffected. An observer that
 * throws is ignored: metrics never change delivery.
 */
export function timedSink<T>(sink: Sink<T>, observer: SendObserver, now: () => number = () => performance.now()): Sink<T> {
  const report = (batch: Batch<T>, ctx: SendContext, began: number, outcome: SendObservation['outcome']): void => {
    try {
      observer.observeSend(sink.name, { seconds: (now() - began) / 1000, outcome, objects: batch.items.length, attempt: ctx.attempt });
    } catch {
      // Deliberately ignored: see above.
    }
  };
  const wrapped: Sink<T> = {
    name: sink.name,
    async send(batch, ctx): Promise<SendOutcome> {
      const began = now();
      let outcome: SendOutcome;
      try {
        outcome = await sink.send(batch, ctx);
      } catch (error) {
        report(batch, ctx, began, 'retryable');
        throw error;
      }
      report(batch, ctx, began, outcome.status);
      return outcome;
    },
  };
  // Only define what the sink defines: core checks for presence (exactOptionalPropertyTypes forbids undefined).
  return Object.freeze({
    ...wrapped,
    ...(sink.limits === undefined ? {} : { limits: sink.limits }),
    ...(sink.timeoutMs === undefined ? {} : { timeoutMs: sink.timeoutMs }),
    ...(sink.start === undefined ? {} : { start: sink.start.bind(sink) }),
    ...(sink.close === undefined ? {} : { close: sink.close.bind(sink) }),
  });
}
