/** Paced writes for the latency scenarios, and the plain watcher (floor) that observes them. */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Context } from './context.ts';
import { configMap } from './generators.ts';
import { clock, distribution, sleep, type Distribution } from './stats.ts';

export const LATENCY_NAMESPACE = 'bench-lat';
export const LATENCY_PATH = `/api/v1/namespaces/${LATENCY_NAMESPACE}/configmaps`;
const IN_FLIGHT = 64;

/** Creates the pool of ConfigMaps the writers update; returns the list's resourceVersion. */
export async function ensureLatencyPool(ctx: Context): Promise<string> {
  await ctx.api.ensureNamespace(LATENCY_NAMESPACE);
  await ctx.api.createMany(LATENCY_PATH, 0, ctx.sizes.latencyPool, (i) => ({ ...configMap(LATENCY_NAMESPACE, i, 2) }));
  const list = JSON.parse((await ctx.api.must('GET', `${LATENCY_PATH}?limit=1`)).body) as { metadata: { resourceVersion: string } };
  return list.metadata.resourceVersion;
}

export interface WriteRun {
  /** `name@resourceVersion` -> when the apiserver acknowledged the write. */
  readonly acks: Map<string, number>;
  /** Writes/s actually achieved (the apiserver may not keep up with the asked rate). */
  readonly achievedRate: number;
  readonly failed: number;
}

let sequence = 0;

/**
 * Merge-patches the pool's ConfigMaps round-robin at `rate` per second for `ms`, at most 64 in flight, on a
 * schedule fixed in advance (a late write does not push the later ones back).
 */
export async function pacedWrites(ctx: Context, rate: number, ms: number): Promise<WriteRun> {
  const total = Math.max(1, Math.round((rate * ms) / 1000));
  const acks = new Map<string, number>();
  let inFlight = 0;
  let failed = 0;
  let released: (() => void) | undefined;
  const started = clock();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - clock();
    if (wait > 1) await sleep(wait);
    while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (released = resolve));
    const name = `cm-${String(n % ctx.sizes.latencyPool).padStart(6, '0')}`;
    const seq = ++sequence;
    inFlight++;
    pending.push(
      ctx.api
        .send('PATCH', `${LATENCY_PATH}/${name}`, { data: { seq: String(seq) } }, 'application/merge-patch+json')
        .then(
          (result) => {
            if (result.status !== 200) {
              failed++;
              return;
            }
            const rv = (JSON.parse(result.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
            acks.set(`${name}@${rv}`, result.ackAt);
          },
          () => void failed++,
        )
        .finally(() => {
          inFlight--;
          released?.();
        }),
    );
  }
  await Promise.all(pending);
  return { acks, achievedRate: total / ((clock() - started) / 1000), failed };
}

/** The newest acknowledged write of each object: always delivered, even where earlier ones coalesced. */
export function newestPerObject(acks: ReadonlyMap<string, number>): string[] {
  const newest = new Map<string, { key: string; rv: number }>();
  for (const key of acks.keys()) {
    const [name = '', rv = '0'] = key.split('@');
    // resourceVersions are opaque to clients, but this apiserver's are etcd revisions: comparable here.
    if ((newest.get(name)?.rv ?? -1) < Number(rv)) newest.set(name, { key, rv: Number(rv) });
  }
  return [...newest.values()].map((n) => n.key);
}

/** Latencies (arrival - ack) of every acknowledged write that arrived; `missing` counts those that did not. */
export function latencies(acks: ReadonlyMap<string, number>, arrivals: ReadonlyMap<string, number>): Distribution & { missing: number } {
  const values: number[] = [];
  for (const [key, ackAt] of acks) {
    const at = arrivals.get(key);
    if (at !== undefined) values.push(at - ackAt);
  }
  return { ...distribution(values), missing: acks.size - values.length };
}

/** The plain watch client in a worker thread, from `resourceVersion`, recording `name@rv` arrivals. */
export class PlainWatcher {
  readonly arrivals = new Map<string, number>();
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: { type: string; arrivals?: [string, number][] }) => {
      for (const [key, at] of message.arrivals ?? []) if (!this.arrivals.has(key)) this.arrivals.set(key, at);
    });
  }

  static async start(ctx: Context, path: string, resourceVersion: string): Promise<PlainWatcher> {
    const worker = new Worker(new URL('./plain-watch.ts', import.meta.url), {
      workerData: { role: 'plain-watch', server: ctx.cluster.server, caFile: ctx.cluster.caFile, token: ctx.cluster.adminToken, path, resourceVersion },
    });
    const [message] = (await once(worker, 'message')) as [{ type: string; message?: string }];
    if (message.type !== 'ready') throw new Error(`plain watcher: ${message.message ?? message.type}`);
    return new PlainWatcher(worker);
  }

  /** Stops the watcher; resolves to how often the server ended its watch and it resumed. */
  async close(): Promise<number> {
    const closed = new Promise<number>((resolve) =>
      this.#worker.on('message', (m: { type: string; reconnects?: number }) => m.type === 'closed' && resolve(m.reconnects ?? 0)),
    );
    this.#worker.postMessage({ type: 'close' });
    const reconnects = await closed;
    await this.#worker.terminate();
    return reconnects;
  }
}
