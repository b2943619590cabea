import type { EmitCacheEntry } from '../../src/cache/emit-cache.js';
import type { SharedCacheStore } from '../../src/cache/cluster-store.js';
import type { DeliveryGate } from '../../src/leader/delivery-gate.js';
import { MemorySink } from '../../src/testing/memory-sink.js';
import type { Change, KubeObject } from '../../src/types.js';

/** A gate the test opens and closes; `clockClosed` makes `open` read false without a transition (a thawed holder). */
export class ManualGate implements DeliveryGate {
  #open = false;
  clockClosed = false;
  readonly #listeners = new Set<(open: boolean) => void>();

  get open(): boolean {
    return this.#open && !this.clockClosed;
  }

  set(open: boolean): void {
    if (open === this.#open) return;
    this.#open = open;
    for (const listener of this.#listeners) listener(open);
  }

  onChange(listener: (open: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** A shared cache in memory; `frozen` drops saves (a leader killed before it saved). */
export class MemorySharedCache implements SharedCacheStore {
  readonly sinks = new Map<string, Map<string, EmitCacheEntry>>();
  frozen = false;
  saves = 0;
  #waiters: (() => void)[] = [];
  /** `namespace/name` of the ConfigMaps that are this store's own. */
  readonly #owned: ReadonlySet<string>;

  constructor(owned: readonly string[] = []) {
    this.#owned = new Set(owned);
  }

  owns(namespace: string, name: string): boolean {
    return this.#owned.has(`${namespace}/${name}`);
  }

  async load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined> {
    const stored = this.sinks.get(sink);
    return stored === undefined ? undefined : new Map(stored);
  }

  async save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, mayWrite: () => boolean): Promise<void> {
    if (this.frozen || !mayWrite()) return;
    this.saves++;
    this.sinks.set(sink, new Map(entries));
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `check` holds after a save (checked now first). */
  async waitFor(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** One receiver behind every replica's sink: logs who sent what, in arrival order. */
export class Receiver {
  readonly log: { readonly sender: string; readonly change: Change }[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  /** The sink replica `sender` uses (all named `receiver`, so they share the emit cache's identity). */
  sinkFor(sender: string): MemorySink {
    return new MemorySink({
      name: 'receiver',
      behaviour: (batch) => {
        for (const change of batch.items) this.log.push({ sender, change });
        queueMicrotask(() => this.#check());
        return { status: 'delivered' };
      },
    });
  }

  /** Key → `data.value`, replaying the log: the receiver's picture of the cluster. */
  view(): Map<string, unknown> {
    const view = new Map<string, unknown>();
    for (const { change } of this.log) {
      if (change.event === 'delete') view.delete(change.key);
      else view.set(change.key, (change.object['data'] as { value: unknown } | undefined)?.value);
    }
    return view;
  }

  /** Resolves once `check` holds; rejects after `timeoutMs` saying what was awaited. */
  waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; log: ${JSON.stringify(this.log.map((l) => [l.sender, l.change.event, l.change.key]))}`)), timeoutMs);
      this.#waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

export function cm(name: string, value: unknown = 1, uid = `uid-${name}`): KubeObject {
  return { metadata: { name, namespace: 'default', uid }, data: { value } };
}
