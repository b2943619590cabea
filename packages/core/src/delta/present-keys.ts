import { isOwnState, type OwnStatePredicate } from '../internal/own-state.js';
import type { KubeObject } from '../types.js';
import type { ResolvedResource } from '../watch/watch-event.js';
import { objectKey } from '../watch/object-key.js';

/**
 * The keys of a complete list of `resource` (what a relist, a restart or a takeover reconciles the emit caches
 * against: a cached key missing here is a delete to send), by the same `objectKey` as `Change.key`.
 * The state store's own ConfigMaps (`owns`) are left out.
 */
export function presentKeys(resource: ResolvedResource, objects: readonly KubeObject[], owns: OwnStatePredicate | undefined): Set<string> {
  const present = new Set<string>();
  for (const object of objects) {
    // Never sent, so not present for a receiver either: one that got a cache shard before they were filtered
    // (an upgrade) gets its delete instead of keeping a copy that no longer changes.
    if (isOwnState(resource, object, owns)) continue;
    present.add(objectKey(resource.name, object));
  }
  return present;
}
