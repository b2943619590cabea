/** Cross-key rules of `clusters:` and the endpoints' `clusters` (see `cluster-schema.ts`). */
import type { ConfigFinding } from './check-config.js';
import { IN_CLUSTER } from './cluster-schema.js';
import { didYouMean } from './did-you-mean.js';
import type { ConfigFile } from './schema.js';

/** Findings about the cluster list and which clusters endpoints name. */
export function checkClusters(file: ConfigFile): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const error = (path: readonly (string | number)[], message: string): void => void findings.push({ severity: 'error', path, message });
  const warn = (path: readonly (string | number)[], message: string): void => void findings.push({ severity: 'warning', path, message });
  const clusters = file.clusters;
  const names = new Map<string, number>();
  clusters?.forEach((cluster, i) => {
    const first = names.get(cluster.name);
    if (first === undefined) names.set(cluster.name, i);
    // The name keys its uniqueIds and its emit cache: two entries with one name would mix two clusters' state.
    else error(['clusters', i, 'name'], `duplicate cluster name "${cluster.name}" (also clusters.${String(first)})`);
    if (cluster.kubeconfig === IN_CLUSTER && cluster.context !== undefined) warn(['clusters', i, 'context'], 'has no effect with kubeconfig: in-cluster');
    if (cluster.metadata !== undefined && 'cluster' in cluster.metadata) warn(['clusters', i, 'metadata', 'cluster'], "is replaced by the cluster's name in the payload's meta");
  });
  if (clusters !== undefined && file.clusterName !== '') {
    error(['clusterName'], 'cannot be used with clusters: each cluster\'s name is its clusterName (set clusters[].name instead)');
  }
  file.remoteEndpoints.forEach((endpoint, i) => {
    endpoint.clusters?.forEach((name, j) => {
      const at = ['remoteEndpoints', i, 'clusters', j];
      if (clusters === undefined) {
        error(at, 'needs the top-level clusters list (without it there is one cluster, and every endpoint receives from it)');
        return;
      }
      if (names.has(name)) return;
      const suggestion = didYouMean(name, [...names.keys()]);
      error(at, `"${name}" is not in clusters${suggestion === undefined ? ` (${[...names.keys()].map((n) => JSON.stringify(n)).join(', ')})` : ` (did you mean ${JSON.stringify(suggestion)}?)`}`);
    });
  });
  return findings;
}
