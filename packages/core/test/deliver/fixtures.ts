import { fingerprintOf } from '../../src/delta/canonical-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { SendContext, SendOutcome, Sink } from '../../src/sink/sink.js';
import type { Batch, Change, ChangeEvent } from '../../src/types.js';

/** A frozen change of configmap `name` (uid `u-<name>` unless given) holding `value`. */
export function change(event: ChangeEvent, name: string, value: unknown = 1, uid = `u-${name}`): Change {
  const object = deepFreeze({ metadata: { name, namespace: 'ns', uid }, data: { value } });
  return Object.freeze({
    key: `configmaps|ns/${name}`,
    resource: 'configmaps',
    event,
    object,
    uid,
    namespace: 'ns',
    name,
    assetId: '',
    uniqueId: `c-${uid}`,
    fingerprint: fingerprintOf(object),
    observedAt: 0,
  });
}

/** `event:name@value` of each item, for compact assertions. */
export function brief(items: readonly Change[]): string[] {
  return items.map((c) => `${c.event}:${c.name}@${JSON.stringify((c.object['data'] as { value?: unknown } | undefined)?.value)}`);
}

export interface SendCall {
  readonly at: number;
  readonly batch: Batch;
  readonly ctx: SendContext;
}

/** A sink whose answers are scripted; records every call and fails the test on concurrent sends. */
export class ScriptedSink implements Sink {
  readonly name: string;
  readonly calls: SendCall[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  script: (call: SendCall) => SendOutcome | Promise<SendOutcome>;

  constructor(name = 'scripted', script: (call: SendCall) => SendOutcome | Promise<SendOutcome> = () => ({ status: 'delivered' })) {
    this.name = name;
    this.script = script;
  }

  async send(batch: Batch, ctx: SendContext): Promise<SendOutcome> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const call = { at: Date.now(), batch, ctx };
      this.calls.push(call);
      return await this.script(call);
    } finally {
      this.concurrent--;
    }
  }

  /** Every item delivered in order, as `brief` strings. */
  sent(): string[] {
    return this.calls.flatMap((c) => brief(c.batch.items));
  }
}

/** A promise that settles when `signal` aborts (how a well-behaved hanging sink ends). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}
