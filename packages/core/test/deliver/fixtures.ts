import { fingerprintOf } from '../../src/payload/canonical-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import { EmitCache } from '../../src/cache/emit-cache.js';
import type { LaneHooks, SinkLaneOptions } from '../../src/deliver/lane-contract.js';
import { SinkLane } from '../../src/deliver/sink-lane.js';
import type { WatchProxyError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { SendContext, SendOutcome, Sink } from '../../src/sink/sink.js';
import type { Batch, Change, ChangeEvent, DropReason } from '../../src/types.js';

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

/** What a lane made of `makeLane` reported through its hooks. */
export interface Recorded {
  readonly drops: { reason: DropReason; items: string[] }[];
  readonly retries: { attempt: number; delayMs: number }[];
  readonly errors: WatchProxyError[];
  readonly emitted: { items: string[]; attempts: number }[];
}

/** A started lane over `sink` (emitIntervalMs 1000, 10 objects, 1 MiB), with hooks recording into `rec`. */
export function makeLane(sink: ScriptedSink, overrides: Partial<SinkLaneOptions> = {}): { lane: SinkLane; cache: EmitCache; rec: Recorded } {
  const rec: Recorded = { drops: [], retries: [], errors: [], emitted: [] };
  const hooks: LaneHooks = {
    emitted: (_s, batch, attempts) => rec.emitted.push({ items: brief(batch.items), attempts }),
    dropped: (_s, items: readonly Change[], reason) => rec.drops.push({ reason, items: brief(items) }),
    retrying: (_s, info) => rec.retries.push({ attempt: info.attempt, delayMs: info.delayMs }),
    error: (e) => rec.errors.push(e),
  };
  const cache = overrides.cache ?? new EmitCache({ ttlMs: 0, now: () => Date.now() });
  const lane = new SinkLane({
    sink,
    cache,
    logger: silentLogger,
    emitIntervalMs: 1000,
    maxObjects: 10,
    maxBytes: 1 << 20,
    attemptTimeoutMs: 5000,
    abortGraceMs: 1000,
    retry: { initialMs: 500, maxMs: 30_000, maxRetryAfterMs: 300_000 },
    now: () => Date.now(),
    random: () => 0.5,
    hooks,
    ...overrides,
  });
  lane.start();
  return { lane, cache, rec };
}

