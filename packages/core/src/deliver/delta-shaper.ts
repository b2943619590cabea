import type { EmitCache } from '../cache/emit-cache.js';
import { canonicalJson } from '../payload/canonical-json.js';
import { createJsonPatch } from '../payload/json-patch.js';
import type { Change, DeltaForm, KubeObject } from '../types.js';

/** A state this process delivered to the sink: what the receiver holds, so what a patch may start from. */
interface Base {
  readonly uid: string;
  readonly fingerprint: string;
  readonly object: KubeObject;
}

/** The form of a change that goes whole. */
export const FULL_FORM: DeltaForm = Object.freeze({ form: 'full' });

/**
 * `deltaUpdates` for one lane: decides, as a batch is cut, which updates go as a JSON Patch from the state last
 * delivered to this sink and which go whole. A patch needs a base this process saw delivered (kept here, in memory
 * only) that the emit cache still holds, unexpired, as the receiver's state; so the first send of an object after
 * a restart, after its cache entry expired (`emitCacheDuration`), after a relist of its resource, or after the
 * receiver asked for it again goes whole. Adds and deletes always go whole; so does a patch not smaller than the
 * object, and every change but the first of an object within one batch (the base of a later one is in the same
 * request). Costs one patch per update sent, and one reference per object delivered.
 */
export class DeltaShaper {
  readonly #cache: EmitCache;
  readonly #bases = new Map<string, Base>();

  constructor(cache: EmitCache) {
    this.#cache = cache;
  }

  /** `items` as they go on the wire: each with its `delta` form decided now (any earlier one replaced). */
  shape(items: readonly Change[]): Change[] {
    const seen = new Set<string>();
    return items.map((change) => {
      const first = !seen.has(change.key);
      seen.add(change.key);
      return withForm(change, (first && this.#patchOf(change)) || FULL_FORM);
    });
  }

  /** `change` was delivered: its state is the base of the object's next patch (a delete ends it). */
  delivered(change: Change): void {
    if (change.event === 'delete') {
      if (this.#bases.get(change.key)?.uid === change.uid) this.#bases.delete(change.key);
      return;
    }
    this.#bases.set(change.key, { uid: change.uid, fingerprint: change.fingerprint, object: change.object });
  }

  /** The next change of `key` goes whole (the receiver asked for it again). */
  forget(key: string): void {
    this.#bases.delete(key);
  }

  /** The next change of every object of `resource` goes whole (a relist of it). */
  forgetResource(resource: string): void {
    for (const [key] of this.#bases) if (key.startsWith(`${resource}|`)) this.#bases.delete(key);
  }

  #patchOf(change: Change): DeltaForm | undefined {
    if (change.event !== 'update') return undefined;
    const base = this.#bases.get(change.key);
    if (base === undefined || base.uid !== change.uid || base.fingerprint === change.fingerprint) return undefined;
    // What the receiver holds by the emit cache's account: it may have been replaced (a merge with the cluster
    // store), forgotten, or expired, and then the base is not known to be there.
    if (!this.#cache.isFresh({ key: change.key, uid: base.uid, fingerprint: base.fingerprint })) return undefined;
    const patch = createJsonPatch(base.object, change.object);
    if (canonicalJson(patch).length >= canonicalJson(change.object).length) return undefined;
    return Object.freeze({ form: 'patch', patch, baseFingerprint: base.fingerprint });
  }
}

/** `change` with the wire form `delta`: a new frozen change (the pipeline's are shared, and frozen). */
export function withForm(change: Change, delta: DeltaForm): Change {
  return change.delta === delta ? change : Object.freeze({ ...change, delta });
}
