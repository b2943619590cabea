// Stand-ins for what core does around a sink: a SendContext per attempt and a retry loop honouring
// retryAfterMs, so the tests can check a sink's outcomes end to end without core's delivery lane.
import { setTimeout as delay } from 'node:timers/promises';
import { silentLogger } from '@watch-proxy/core';
import type { Batch, Change, ChangeEvent, SendContext, SendOutcome, Sink } from '@watch-proxy/core';

/** A SendContext for one attempt. */
export function context(attempt = 1, signal: AbortSignal = new AbortController().signal): SendContext {
  return { signal, attempt, deadline: Date.now() + 60_000, logger: silentLogger };
}

/** A change to a namespaced ConfigMap-like object, about `size` bytes of JSON. */
export function change(index: number, event: ChangeEvent = 'add', size = 200): Change {
  const uid = `uid-${index}`;
  const object = {
    metadata: { name: `obj-${index}`, namespace: 'default', uid, uniqueId: `dev-${uid}` },
    data: { value: 'x'.repeat(Math.max(0, size - 120)) },
  };
  return {
    key: `configmaps|default/obj-${index}`,
    resource: 'configmaps',
    event,
    object,
    uid,
    namespace: 'default',
    name: `obj-${index}`,
    assetId: 'cm',
    uniqueId: `dev-${uid}`,
    fingerprint: `fp${index}`,
    observedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  };
}

/** A batch of changes with a fixed id. */
export function batch(items: readonly Change[], id = 'batch-1'): Batch<Change> {
  return { id, items, bytes: 0, createdAt: Date.now() };
}

/** Sends until an outcome other than retryable, waiting `retryAfterMs` (or `backoffMs`) between attempts, as core would. */
export async function sendWithRetries(
  sink: Sink<Change>,
  target: Batch<Change>,
  options: { maxAttempts?: number; backoffMs?: number } = {},
): Promise<{ outcome: SendOutcome; attempts: SendOutcome[] }> {
  const attempts: SendOutcome[] = [];
  for (let attempt = 1; ; attempt++) {
    const outcome = await sink.send(target, context(attempt));
    attempts.push(outcome);
    if (outcome.status !== 'retryable' || attempt >= (options.maxAttempts ?? 5)) return { outcome, attempts };
    await delay(outcome.retryAfterMs ?? options.backoffMs ?? 0);
  }
}
