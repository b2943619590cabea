import type { KubeConfig } from '@kubernetes/client-node';
import { InvalidArgumentError } from './errors.js';
import { deepFreeze } from './internal/deep-freeze.js';
import type { ClusterOptions, WatchProxyOptions } from './options.js';
import type { WatchSourceFactory } from './watch/watch-source.js';

/** One cluster after validation (see `ClusterOptions`). */
export interface ResolvedCluster {
  /** Its `clusterName` (`''` allowed only for the single cluster of a proxy without `clusters`). */
  readonly name: string;
  readonly kubeConfig: KubeConfig | undefined;
  readonly watchSource: WatchSourceFactory | undefined;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /**
   * False for the single cluster of a proxy without `clusters`: its batches carry no `cluster` and its state sits
   * directly in `stateDir`, exactly as before clusters existed. True for every entry of `clusters`.
   */
  readonly named: boolean;
  /** Whether its batches carry its `kube-system` Namespace UID (`ClusterOptions.clusterUid`, or the proxy's). */
  readonly clusterUid: boolean;
}

function fail(path: string, message: string, got?: unknown): never {
  const shown = got === undefined ? '' : ` (got ${typeof got === 'string' ? JSON.stringify(got) : String(got)})`;
  throw new InvalidArgumentError(`WatchProxy options.${path} ${message}${shown}`);
}

function checkClusterUid(value: unknown, path: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail(path, 'must be a boolean', value);
  return value as boolean | undefined;
}

/**
 * Validates one `ClusterOptions` (at `path`, for messages); `clusterUid` is the proxy's default for it. Names are
 * checked for uniqueness by the caller.
 */
export function resolveCluster(cluster: ClusterOptions, path: string, clusterUid = false): ResolvedCluster {
  if (typeof cluster !== 'object' || cluster === null) fail(path, 'must be an object { name, kubeConfig | watchSource, metadata? }');
  if (typeof cluster.name !== 'string' || cluster.name === '') fail(`${path}.name`, 'must be a non-empty string', cluster.name);
  if (cluster.kubeConfig === undefined && cluster.watchSource === undefined) fail(`${path}.kubeConfig`, 'is required unless watchSource is given');
  if (cluster.watchSource !== undefined && typeof cluster.watchSource !== 'function') fail(`${path}.watchSource`, 'must be a function');
  const metadata = cluster.metadata;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    fail(`${path}.metadata`, 'must be an object', metadata as unknown);
  }
  const uid = checkClusterUid(cluster.clusterUid, `${path}.clusterUid`) ?? clusterUid;
  // The UID is read through the kubeconfig: a cluster seen only through a watchSource has none to read it with.
  if (uid && cluster.kubeConfig === undefined) fail(`${path}.kubeConfig`, 'is required with clusterUid (the kube-system Namespace is read through it)');
  return Object.freeze({
    name: cluster.name,
    kubeConfig: cluster.kubeConfig,
    watchSource: cluster.watchSource,
    // A copy: the caller's object may change later, the payload's meta must not.
    metadata: metadata === undefined ? undefined : deepFreeze(structuredClone(metadata)),
    named: true,
    clusterUid: uid,
  });
}

/**
 * The clusters a proxy watches: every entry of `clusters`, or the one of `kubeConfig` / `watchSource` /
 * `clusterName`. Throws `InvalidArgumentError` naming the offending option.
 */
export function resolveClusters(options: WatchProxyOptions): readonly ResolvedCluster[] {
  const clusterUid = checkClusterUid(options.clusterUid, 'clusterUid') ?? false;
  if (options.clusters === undefined) {
    if (options.kubeConfig === undefined && options.watchSource === undefined) fail('kubeConfig', 'is required unless watchSource is given (or clusters)');
    if (options.watchSource !== undefined && typeof options.watchSource !== 'function') fail('watchSource', 'must be a function');
    if (options.clusterName !== undefined && typeof options.clusterName !== 'string') fail('clusterName', 'must be a string', options.clusterName);
    if (clusterUid && options.kubeConfig === undefined) fail('kubeConfig', 'is required with clusterUid (the kube-system Namespace is read through it)');
    return Object.freeze([
      Object.freeze({ name: options.clusterName ?? '', kubeConfig: options.kubeConfig, watchSource: options.watchSource, metadata: undefined, named: false, clusterUid }),
    ]);
  }
  if (!Array.isArray(options.clusters) || options.clusters.length === 0) fail('clusters', 'must list at least one cluster');
  for (const key of ['kubeConfig', 'watchSource', 'clusterName'] as const) {
    if (options[key] !== undefined) fail(key, 'must be absent with clusters (set it per cluster)');
  }
  const names = new Set<string>();
  return Object.freeze(
    options.clusters.map((cluster, i) => {
      const resolved = resolveCluster(cluster, `clusters[${i}]`, clusterUid);
      if (names.has(resolved.name)) fail(`clusters[${i}].name`, 'is listed twice', resolved.name);
      names.add(resolved.name);
      return resolved;
    }),
  );
}

/**
 * Validates a sink's `clusters` (`SinkOptions.clusters`) against the configured clusters: names that exist, and only
 * with `clusters`. Empty: every cluster, including those added later.
 */
export function resolveSinkClusters(value: unknown, path: string, clusters: readonly ResolvedCluster[]): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (clusters.length === 1 && !clusters[0]!.named) fail(path, 'needs WatchProxy options.clusters');
  if (!Array.isArray(value)) fail(path, 'must be an array of cluster names', value);
  const known = new Set(clusters.map((c) => c.name));
  value.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || !known.has(name)) fail(`${path}[${i}]`, `must name one of the clusters (${[...known].join(', ')})`, name);
  });
  return Object.freeze([...(value as string[])]);
}
