import { EventEmitter } from 'node:events';
import { applyPatch, createPatch } from 'rfc6902';
import type { ReceivedItem } from './parse-batch.js';

/** What the inventory holds for one object. */
export interface InventoryEntry {
  readonly uniqueId: string;
  /** The object as last received (whole, or with every patch applied). */
  readonly object: Record<string, unknown>;
  /** The fingerprint watch-proxy gave this state; undefined when it sent none (without `deltaUpdates`). */
  readonly fingerprint: string | undefined;
  readonly assetTypeId: string;
}

/** The typed events of an {@link Inventory}: listeners get the entry (for `deleted`, the last state held). */
export interface InventoryEvents {
  added: [entry: InventoryEntry];
  /** `paths`: the JSON Pointers (RFC 6901) of what changed, `/spec/replicas`, in patch order. */
  updated: [entry: InventoryEntry, paths: readonly string[], previous: InventoryEntry];
  deleted: [entry: InventoryEntry];
}

/** What applying a batch did. */
export interface ApplyResult {
  /** Items applied (an item already applied, a retried patch, counts too). */
  readonly applied: number;
  /**
   * uniqueIds of patches whose base the inventory lacks (or that did not apply): answer the resend request
   * (`409 {"resend":[...]}`) and watch-proxy sends them whole.
   */
  readonly resend: readonly string[];
}

/**
 * The objects a receiver holds, by `uniqueId`: whole items replace, deletes remove, and `deltaUpdates` patches
 * apply only onto the state whose fingerprint they name (otherwise their uniqueId goes into `resend`). Emits
 * `added`, `updated` (with the changed paths) and `deleted`.
 */
export class Inventory extends EventEmitter<InventoryEvents> {
  readonly #entries = new Map<string, InventoryEntry>();

  /** Number of objects held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `uniqueId`, if held. */
  get(uniqueId: string): InventoryEntry | undefined {
    return this.#entries.get(uniqueId);
  }

  /** Every entry, in the order they were first added. */
  entries(): IterableIterator<InventoryEntry> {
    return this.#entries.values();
  }

  /** Forgets everything (no events): a receiver that lost its state. Patches then get resend answers. */
  clear(): void {
    this.#entries.clear();
  }

  /** Applies a batch's items in order; see {@link ApplyResult}. */
  apply(items: readonly ReceivedItem[]): ApplyResult {
    const resend: string[] = [];
    let applied = 0;
    for (const item of items) {
      if (this.#applyOne(item)) applied++;
      else resend.push(item.uniqueId);
    }
    return { applied, resend };
  }

  #applyOne(item: ReceivedItem): boolean {
    const held = this.#entries.get(item.uniqueId);
    if (item.event === 'delete') {
      if (held !== undefined) {
        this.#entries.delete(item.uniqueId);
        this.emit('deleted', held);
      }
      return true;
    }
    if (item.patch !== undefined) {
      // A retried batch whose patch was applied already: the inventory is at its result.
      if (held !== undefined && held.fingerprint === item.fingerprint) return true;
      if (held === undefined || held.fingerprint !== item.baseFingerprint) return false;
      const object = structuredClone(held.object);
      if (applyPatch(object, item.patch).some((error) => error !== null)) return false;
      const entry: InventoryEntry = { uniqueId: item.uniqueId, object, fingerprint: item.fingerprint, assetTypeId: item.assetTypeId };
      this.#entries.set(item.uniqueId, entry);
      this.emit('updated', entry, item.patch.map((op) => op.path), held);
      return true;
    }
    const entry: InventoryEntry = { uniqueId: item.uniqueId, object: item.object ?? {}, fingerprint: item.fingerprint, assetTypeId: item.assetTypeId };
    this.#entries.set(item.uniqueId, entry);
    if (held === undefined) this.emit('added', entry);
    else this.emit('updated', entry, createPatch(held.object, entry.object).map((op) => op.path), held);
    return true;
  }
}
