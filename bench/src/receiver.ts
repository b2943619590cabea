/** Handle of a loopback receiver running in a worker thread (see receiver-worker.ts). */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface ReceiverOptions {
  /** `track` records every item's `name@resourceVersion` with its arrival time; `count` only counts. */
  readonly mode?: 'count' | 'track';
  /** Answer each request this late (the slow endpoint). */
  readonly delayMs?: number;
}

export class Receiver {
  /** Items received. */
  items = 0;
  requests = 0;
  /** `name@resourceVersion` -> arrival time (first arrival wins), in `track` mode. */
  readonly arrivals = new Map<string, number>();
  /** When the last request arrived. */
  lastAt = 0;
  #worker: Worker;
  #port = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: { type: string; n: number; keys?: string[]; at: number }) => {
      if (message.type !== 'items') return;
      this.items += message.n;
      this.requests++;
      this.lastAt = message.at;
      for (const key of message.keys ?? []) if (!this.arrivals.has(key)) this.arrivals.set(key, message.at);
    });
  }

  static async start(options: ReceiverOptions = {}): Promise<Receiver> {
    const worker = new Worker(new URL('./receiver-worker.ts', import.meta.url), { workerData: { mode: options.mode ?? 'count', delayMs: options.delayMs ?? 0 } });
    const receiver = new Receiver(worker);
    const [message] = (await once(worker, 'message')) as [{ type: string; port: number }];
    receiver.#port = message.port;
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/watch-proxy`;
  }

  reset(): void {
    this.items = 0;
    this.requests = 0;
    this.arrivals.clear();
  }

  async close(): Promise<void> {
    this.#worker.postMessage({ type: 'close' });
    await once(this.#worker, 'exit');
  }
}
