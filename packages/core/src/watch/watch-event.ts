import type { KubeObject, ResourceRef } from '../types.js';

/**
 * What a watcher hands the pipeline for one object. This is the seam between the watch stage (reflector)
 * and the delta engine: raw objects, before filtering, pruning or fingerprinting.
 */
export interface WatchEvent {
  readonly type: 'add' | 'update' | 'delete';
  /**
   * The object as the apiserver sent it (without `metadata.managedFields` when the watcher drops them); for a
   * watched delete, the server's final state. A delete the watcher synthesized carries only what its store keeps,
   * `{ metadata: { name, namespace, uid, resourceVersion } }` (the last state is not kept in memory: the pipeline
   * takes it from what each endpoint was sent).
   */
  readonly object: KubeObject;
  /**
   * Set on deletes the watcher made up rather than saw: `relist` (gone when the watcher relisted after a
   * disconnect or 410), `recreated` (same name now has a new uid; an `add` for the new object follows).
   */
  readonly synthesized?: 'relist' | 'recreated';
  /**
   * True for an unchanged object handed out again by a resync (`forceReuploadDuration`: a relist whose unchanged
   * objects are replayed); what changed since arrives as a plain event.
   */
  readonly resync?: boolean;
}

/** Handlers a watcher calls. A handler that throws is isolated: logged, and the watcher goes on. */
export interface WatchHandlers {
  /** Called for every change, in the order the watcher saw them for one object. */
  onEvent(resource: ResolvedResource, event: WatchEvent): void;
  /**
   * Called after every complete list (initial or relist) once its events were handed out, with every object the
   * list returned, as the watcher keeps them: `{ metadata: { name, namespace, uid, resourceVersion } }`. The
   * pipeline uses it to find objects that were delivered but are gone.
   */
  onSynced?(resource: ResolvedResource, objects: readonly KubeObject[]): void;
  /**
   * A hint, called for each new or changed object of a list as its page (or streaming-list event) is read, long
   * before the list's events: those come only after the last page, so that a list is applied whole. The
   * pipeline starts its per-object work here so that it overlaps the download of the next pages. The object is
   * not a change yet (the list may still fail and be retried); `onEvent` later hands over the same object.
   * Objects unchanged since the last list are not passed. Optional.
   */
  onListItem?(resource: ResolvedResource, object: KubeObject): void;
}

/** A configured resource after discovery resolved its name. */
export interface ResolvedResource {
  /** The name as configured (`pods`, `ingresses`, `certificates.cert-manager.io`): keys cache entries. */
  readonly name: string;
  readonly ref: ResourceRef;
}
