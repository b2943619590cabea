import { SinkCloseError, SinkStartError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Sink, SinkLifecycleContext } from '../sink/sink.js';

/**
 * Runs every sink's `start` in parallel, each with `logger` bound to `{ sink }`, and pushes each one that started
 * onto `started` as it does (so a caller can close exactly those). Once all settled, rejects with the first
 * failure as a `SinkStartError`: a sink that throws its own `SinkStartError` says why itself and is passed on as
 * it is, not wrapped in a second "failed to start".
 */
export async function startSinks(sinks: readonly Sink[], signal: AbortSignal, logger: Logger, started: Sink[]): Promise<void> {
  const results = await Promise.allSettled(
    sinks.map(async (sink) => {
      try {
        await sink.start?.({ signal, logger: logger.child({ sink: sink.name }) });
      } catch (error) {
        throw error instanceof SinkStartError && error.sink === sink.name ? error : new SinkStartError(sink.name, { cause: error });
      }
      started.push(sink);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Closes `sinks` one after another in reverse order (the last started first), each exactly once; returns each
 * failure as a `SinkCloseError` instead of stopping at it.
 */
export async function closeSinks(sinks: readonly Sink[], ctx: SinkLifecycleContext): Promise<SinkCloseError[]> {
  const errors: SinkCloseError[] = [];
  for (const sink of [...sinks].reverse()) {
    try {
      await sink.close?.(ctx);
    } catch (error) {
      errors.push(new SinkCloseError(sink.name, { cause: error }));
    }
  }
  return errors;
}
