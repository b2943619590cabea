import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../payload/canonical-json.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import { silentLogger } from '../logger.js';
import type { SendContext, SendOutcome, Sink, SinkLifecycleContext } from '../sink/sink.js';
import type { Batch, Change, ChangeEvent } from '../types.js';

/** Options of `describeSinkContract`. */
export interface SinkContractOptions {
  /**
   * After a send answered `delivered`, check that the batch really arrived (read the file back, query the
   * table, inspect the receiver). Default: no check beyond the outcome.
   */
  readonly verifyDelivered?: (sink: Sink, batch: Batch) => void | Promise<void>;
  /** How soon `send` must settle once its signal is aborted. Default: 2000 ms. */
  readonly abortWithinMs?: number;
  /** Release whatever a test's sink used (temp files, servers). Called after each test. */
  readonly cleanup?: (sink: Sink) => void | Promise<void>;
}

/** A frozen change like the pipeline hands to sinks: a configmap with awkward content (unicode, `<`, `&`, U+2028). */
export function contractChange(event: ChangeEvent, name: string, value: unknown = 'v', uid = `uid-${name}`): Change {
  const object = deepFreeze({
    metadata: { name, namespace: 'contract', uid, uniqueId: `test-${uid}`, labels: { 'app.kubernetes.io/name': 'x' } },
    data: { value, text: 'ünïcödé <b>&amp;</b> \u2028 "quoted"' },
  });
  return Object.freeze({
    key: `configmaps|contract/${name}`,
    resource: 'configmaps',
    event,
    object,
    uid,
    namespace: 'contract',
    name,
    assetId: 'cm',
    uniqueId: `test-${uid}`,
    fingerprint: fingerprintOf(object),
    observedAt: Date.now(),
  });
}

let batches = 0;

/** Wraps changes into a frozen batch, as core does. */
export function contractBatch(items: readonly Change[]): Batch {
  return Object.freeze({
    id: `contract-${++batches}`,
    items: Object.freeze([...items]),
    bytes: items.reduce((n, c) => n + JSON.stringify(c.object).length, 0),
    createdAt: Date.now(),
  });
}

function sendContext(signal: AbortSignal, attempt = 1): SendContext {
  return { signal, attempt, deadline: Date.now() + 30_000, logger: silentLogger };
}

function lifecycle(): SinkLifecycleContext {
  return { signal: new AbortController().signal, logger: silentLogger };
}

function assertOutcome(outcome: SendOutcome, batch: Batch): void {
  expect(outcome, 'send must resolve with an outcome object').toBeTypeOf('object');
  expect(['delivered', 'retryable', 'rejected', 'partial']).toContain(outcome.status);
  if (outcome.status !== 'delivered') expect(outcome.error, `a ${outcome.status} outcome carries an Error`).toBeInstanceOf(Error);
  if (outcome.status === 'retryable' && outcome.retryAfterMs !== undefined) {
    expect(outcome.retryAfterMs).toBeGreaterThanOrEqual(0);
  }
  if (outcome.status === 'partial') {
    for (const index of outcome.retry) {
      expect(Number.isInteger(index) && index >= 0 && index < batch.items.length, `partial index ${index} is in the batch`).toBe(true);
    }
  }
}

/**
 * Registers vitest tests that check a sink against docs/sink-contract.md: a stable name, start/send/close in
 * order, well-formed outcomes, `delivered` batches really delivered (with `verifyDelivered`), no mutation of
 * batches (they are frozen: a sink that writes to them throws), several sends in sequence, and prompt
 * settling once the AbortSignal fires. `makeSink` is called once per test and must return a fresh sink that
 * is able to deliver (point it at a working destination).
 */
export function describeSinkContract(
  name: string,
  makeSink: () => Sink | Promise<Sink>,
  options: SinkContractOptions = {},
): void {
  const abortWithinMs = options.abortWithinMs ?? 2000;

  async function withSink(test: (sink: Sink) => Promise<void>): Promise<void> {
    const sink = await makeSink();
    try {
      await test(sink);
    } finally {
      await options.cleanup?.(sink);
    }
  }

  describe(`sink contract: ${name}`, () => {
    it('has a non-empty name that is stable across instances (it keys the emit cache)', () =>
      withSink(async (sink) => {
        expect(typeof sink.name).toBe('string');
        expect(sink.name.length).toBeGreaterThan(0);
        const again = await makeSink();
        expect(again.name).toBe(sink.name);
        await options.cleanup?.(again);
      }));

    it('starts, delivers a batch of add, update and delete, and closes', () =>
      withSink(async (sink) => {
        await sink.start?.(lifecycle());
        const batch = contractBatch([contractChange('add', 'a', 1), contractChange('update', 'b', 2), contractChange('delete', 'c', 3)]);
        const outcome = await sink.send(batch, sendContext(new AbortController().signal));
        assertOutcome(outcome, batch);
        expect(outcome.status, 'a working destination answers delivered').toBe('delivered');
        await options.verifyDelivered?.(sink, batch);
        await sink.close?.(lifecycle());
      }));

    it('handles several sends in sequence, including a large batch, without mutating them', () =>
      withSink(async (sink) => {
        await sink.start?.(lifecycle());
        const all = [
          contractBatch([contractChange('add', 'x')]),
          contractBatch(Array.from({ length: 200 }, (_v, i) => contractChange('update', `big-${i}`, 'y'.repeat(200)))),
          contractBatch([contractChange('delete', 'x')]),
        ];
        for (const batch of all) {
          const before = JSON.stringify(batch);
          const outcome = await sink.send(batch, sendContext(new AbortController().signal));
          assertOutcome(outcome, batch);
          expect(outcome.status).toBe('delivered');
          expect(JSON.stringify(batch), 'send must not change the batch').toBe(before);
          await options.verifyDelivered?.(sink, batch);
        }
        await sink.close?.(lifecycle());
      }));

    it(`settles within ${abortWithinMs} ms once its AbortSignal is aborted`, () =>
      withSink(async (sink) => {
        await sink.start?.(lifecycle());
        const controller = new AbortController();
        controller.abort(new Error('attempt timed out'));
        const batch = contractBatch([contractChange('add', 'aborted')]);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), abortWithinMs);
        });
        const settled = sink.send(batch, sendContext(controller.signal)).then(
          (outcome) => {
            assertOutcome(outcome, batch);
            return 'settled' as const;
          },
          () => 'settled' as const, // rejecting on abort is fine: core treats it as retryable
        );
        const result = await Promise.race([settled, late]);
        clearTimeout(timer);
        expect(result, 'send must honour ctx.signal').toBe('settled');
        await sink.close?.(lifecycle());
      }));
  });
}
