import type { Sink, SendOutcome } from '../sink/sink.js';
import type { Batch, BatchCluster } from '../types.js';
import { retryable } from '../sink/sink.js';

/**
 * One sink's turn-taking among the clusters that send to it: the sink contract promises `send` is never called
 * concurrently for one sink, while each cluster has its own lane. First come, first served, so no cluster waits for
 * more than one send of each other cluster.
 */
export class SinkTurns {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `send` once every send queued before it settled. */
  take<T>(send: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(send);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/**
 * The sink one cluster's lane sends to: the shared sink, taking turns with the other clusters' lanes, and each
 * batch stamped with the cluster it comes from (`Batch.cluster`, so the sink builds `meta` per batch; `cluster` is
 * asked per batch, since a cluster's UID is set once read). `start` and
 * `close` are left out: the proxy calls them once on the shared sink, not once per cluster. An attempt that
 * aborts while waiting for its turn (its deadline passed behind another cluster's slow send) is retryable.
 */
export function clusterSink(sink: Sink, turns: SinkTurns, cluster: () => BatchCluster): Sink {
  return {
    name: sink.name,
    ...(sink.limits === undefined ? {} : { limits: sink.limits }),
    ...(sink.timeoutMs === undefined ? {} : { timeoutMs: sink.timeoutMs }),
    send(batch, ctx): Promise<SendOutcome> {
      const stamped: Batch = { ...batch, cluster: cluster() };
      return turns.take(() => {
        if (ctx.signal.aborted) return Promise.resolve(retryable(new Error(`the attempt timed out waiting for sink "${sink.name}" to finish another cluster's send`)));
        return sink.send(stamped, ctx);
      });
    },
  };
}
