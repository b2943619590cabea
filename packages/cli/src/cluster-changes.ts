/**
 * What a reload changes in `clusters:` when nothing else changed: then the daemon adds and removes those clusters
 * on the running pipeline, and every other cluster keeps its watches (no relist) and queues. Any other change
 * replaces the pipeline, as every reload always did.
 */
import type { ClusterConfig, WatchProxyConfig } from './config/index.js';

/** The clusters a reload adds and removes (a changed entry is both: removed, then added with its new settings). */
export interface ClusterChanges {
  readonly added: readonly ClusterConfig[];
  /** Names. */
  readonly removed: readonly string[];
}

/** Everything of a config but its cluster list, to tell whether only the list changed. */
function withoutClusters(config: WatchProxyConfig): string {
  const { clusters: _clusters, ...rest } = config;
  return JSON.stringify(rest);
}

/**
 * The cluster changes from `previous` to `next`, when the cluster list is all that differs and both have one;
 * undefined otherwise (nothing changed, or more than the list did, or a config without `clusters:` is involved).
 */
export function clusterChanges(previous: WatchProxyConfig, next: WatchProxyConfig): ClusterChanges | undefined {
  if (previous.clusters === undefined || next.clusters === undefined) return undefined;
  if (withoutClusters(previous) !== withoutClusters(next)) return undefined;
  const before = new Map(previous.clusters.map((c) => [c.name, JSON.stringify(c)]));
  const after = new Map(next.clusters.map((c) => [c.name, JSON.stringify(c)]));
  const removed = [...before.keys()].filter((name) => after.get(name) !== before.get(name));
  const added = next.clusters.filter((c) => before.get(c.name) !== after.get(c.name));
  if (removed.length === 0 && added.length === 0) return undefined;
  return { added, removed };
}

/** Names of `previous`'s clusters that `next` no longer lists (a changed entry is not removed: it stays under its name). */
export function droppedClusters(previous: WatchProxyConfig, next: WatchProxyConfig): readonly string[] {
  const kept = new Set((next.clusters ?? []).map((c) => c.name));
  return (previous.clusters ?? []).map((c) => c.name).filter((name) => !kept.has(name));
}
