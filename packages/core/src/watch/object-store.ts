import { metaNamespaceKey } from './object-key.js';
import type { KubeObject } from '../types.js';
import type { WatchEvent } from './watch-event.js';
import { peekAddedIdentity } from './listed-identity.js';

interface Meta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
}

function meta(obj: KubeObject): Meta {
  const m = obj['metadata'];
  return typeof m === 'object' && m !== null ? (m as Meta) : {};
}

/** `metadata.resourceVersion`, or `undefined`. Opaque: compared for equality only, never as a number. */
export function resourceVersionOf(obj: KubeObject): string | undefined {
  return meta(obj).resourceVersion;
}

function uidOf(obj: KubeObject): string | undefined {
  return meta(obj).uid;
}

/**
 * What the store keeps of an object: `{ metadata: { name, namespace, uid, resourceVersion } }` (namespace only
 * when set), frozen. Enough to key it, tell a re-created name (uid) and a change (resourceVersion) from an
 * unchanged object, and to name it in a delete; ~0.3 KB instead of the parsed object (2.7 KB for a 3.4 KB
 * ConfigMap without managedFields).
 */
export function skeletonOf(obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion } = meta(obj);
  const metadata = namespace === undefined ? { name, uid, resourceVersion } : { name, namespace, uid, resourceVersion };
  return Object.freeze({ metadata: Object.freeze(metadata) });
}

/**
 * A watcher's cache: the skeleton (`skeletonOf`) of every object it knows, keyed by `metaNamespaceKey`, not the
 * objects themselves: what reconciling needs, at a tenth of the memory. It turns watch events and relists into
 * the events handlers see, so the rules live in one place:
 * - a name that comes back with a new uid is a `delete` (synthesized `recreated`) then an `add`;
 * - a relist emits `delete` (synthesized `relist`) for every cached object of its scope that is gone,
 *   `add` for new ones, `update` where the resourceVersion changed, and nothing for unchanged objects.
 * A delete it synthesizes carries the skeleton (the last state is no longer in memory): consumers that need the
 * state take it from what they delivered (`WatchEvent.synthesized`).
 */
export class ObjectStore {
  readonly #objects = new Map<string, KubeObject>();

  /** Live read-only view of the cache: skeletons. */
  get view(): ReadonlyMap<string, KubeObject> {
    return this.#objects;
  }

  /** Applies a watched ADDED or MODIFIED object and returns the events it means. */
  upsert(obj: KubeObject): WatchEvent[] {
    const key = metaNamespaceKey(obj);
    const old = this.#objects.get(key);
    this.#objects.set(key, skeletonOf(obj));
    if (old === undefined) return [{ type: 'add', object: obj }];
    if (uidOf(old) !== uidOf(obj)) {
      return [
        { type: 'delete', object: old, synthesized: 'recreated' },
        { type: 'add', object: obj },
      ];
    }
    return [{ type: 'update', object: obj }];
  }

  /** Applies a watched DELETED object (the server's final state) and returns the event. */
  remove(obj: KubeObject): WatchEvent[] {
    const key = metaNamespaceKey(obj);
    const old = this.#objects.get(key);
    this.#objects.delete(key);
    if (old !== undefined && uidOf(old) !== uidOf(obj)) {
      // The delete is for an incarnation we never saw; the one we cached is gone too (we missed its delete).
      return [
        { type: 'delete', object: old, synthesized: 'recreated' },
        { type: 'delete', object: obj },
      ];
    }
    return [{ type: 'delete', object: obj }];
  }

  /**
   * The cached skeleton when `item` is the same state of it (same key, uid and resourceVersion), otherwise
   * `undefined`. A relist passes every listed item through this and keeps only the skeleton of an unchanged one, so
   * the relist peak grows by what changed, not by the whole list.
   */
  unchanged(item: KubeObject): KubeObject | undefined {
    return this.#cachedState(metaNamespaceKey(item), uidOf(item), resourceVersionOf(item));
  }

  /**
   * `unchanged` for a streaming list's raw `ADDED` line, without parsing it: the cached skeleton when the identity
   * read from the line's first bytes (`peekAddedIdentity`) is that of the cached state, otherwise `undefined` (also
   * when the line does not start as the apiserver writes a built-in kind: the caller then parses it).
   */
  unchangedLine(line: Buffer): KubeObject | undefined {
    const item = peekAddedIdentity(line);
    return item === undefined ? undefined : this.#cachedState(item.key, item.uid, item.resourceVersion);
  }

  /** The skeleton cached under `key` when it is that uid at that resourceVersion, otherwise `undefined`. */
  #cachedState(key: string, uid: string | undefined, resourceVersion: string | undefined): KubeObject | undefined {
    const old = this.#objects.get(key);
    if (old === undefined || resourceVersion === undefined) return undefined;
    return resourceVersion === resourceVersionOf(old) && uid === uidOf(old) ? old : undefined;
  }

  /**
   * Replaces every cached object for which `inScope(key)` holds by the result of a complete list (full objects, or
   * the skeletons `unchanged` returned), and returns the events that turn the old state into the new one: deletes
   * first (as client-go's atomic replace), then adds and updates in list order. Reconciles in place (no second map
   * of the whole list): listed objects are applied one by one, then the in-scope keys the list did not mention are
   * deleted.
   */
  replace(items: readonly KubeObject[], inScope: (key: string) => boolean): WatchEvent[] {
    const listed = new Set<string>();
    const changes: WatchEvent[] = [];
    for (const item of items) {
      const key = metaNamespaceKey(item);
      listed.add(key);
      const old = this.#objects.get(key);
      if (old === item) continue;
      if (old === undefined) {
        changes.push({ type: 'add', object: item });
      } else if (uidOf(old) !== uidOf(item)) {
        changes.push({ type: 'delete', object: old, synthesized: 'recreated' }, { type: 'add', object: item });
      } else if (resourceVersionOf(old) !== resourceVersionOf(item)) {
        changes.push({ type: 'update', object: item });
      } else {
        continue;
      }
      this.#objects.set(key, skeletonOf(item));
    }
    const events: WatchEvent[] = [];
    for (const [key, old] of this.#objects) {
      if (inScope(key) && !listed.has(key)) {
        this.#objects.delete(key);
        events.push({ type: 'delete', object: old, synthesized: 'relist' });
      }
    }
    if (events.length === 0) return changes;
    for (const change of changes) events.push(change);
    return events;
  }

  /** The skeleton of every cached object for which `inScope(key)` holds. */
  objects(inScope: (key: string) => boolean = () => true): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [key, obj] of this.#objects) if (inScope(key)) out.push(obj);
    return out;
  }
}
