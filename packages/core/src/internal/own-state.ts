import type { KubeObject, ResourceRef } from '../types.js';

/**
 * Recognises the state store's own ConfigMaps by namespace and name (`SharedCacheStore.owns`, e.g. the shard
 * names of `ConfigMapCacheStore`).
 */
export type OwnStatePredicate = (namespace: string, name: string) => boolean;

/**
 * True for a ConfigMap of watch-proxy's own state store (its namespace and shard names, as `owns` says; a label
 * proves nothing, anyone can set it): its state, not the cluster's inventory, and never sent (drop reason
 * `own-state`). The daemon rewrites these after deliveries, so sending them would make every save a change to
 * send and save again. Without a store in use, nothing is own state.
 *
 * A leaf, so that the delta engine (which drops these) and the composition root (which leaves them out when
 * reconciling) share one rule without the delta stage knowing the store.
 */
export function isOwnState(resource: { readonly ref: ResourceRef }, object: KubeObject, owns: OwnStatePredicate | undefined): boolean {
  if (owns === undefined || resource.ref.group !== '' || resource.ref.resource !== 'configmaps') return false;
  const metadata = record(object['metadata']);
  return owns(text(metadata?.['namespace']), text(metadata?.['name']));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
