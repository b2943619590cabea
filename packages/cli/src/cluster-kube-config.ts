/**
 * Cluster access of one `clusters[]` entry: its kubeconfig file (and context), the pod's service account for
 * `in-cluster`, or the daemon's own when it names none.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { newKubeConfig } from './kube-config-class.js';
import { checkBoundedFileSync } from '@watch-proxy/http-sink';

import type { ClusterConfig } from './config/index.js';
import { MAX_KUBECONFIG_BYTES } from './kube-config.js';

/**
 * Loads the access `cluster` names. Throws an `Error` naming the cluster and the file (never its content) when
 * the file cannot be read or parsed, or the context is missing.
 */
export function loadClusterKubeConfig(cluster: ClusterConfig, daemonKubeConfig: KubeConfig): KubeConfig {
  const path = cluster.kubeconfig;
  if (path === undefined) return daemonKubeConfig;
  const kubeConfig = newKubeConfig();
  const what = `clusters "${cluster.name}"`;
  if (path === 'in-cluster') {
    try {
      kubeConfig.loadFromCluster();
    } catch (error) {
      throw new Error(`${what}: cannot load the in-cluster service account: ${(error as Error).message}`, { cause: error });
    }
    return kubeConfig;
  }
  try {
    checkBoundedFileSync(path, MAX_KUBECONFIG_BYTES);
    kubeConfig.loadFromFile(path);
  } catch (error) {
    // eslint-disable-next-line preserve-caught-error -- the parser's message may quote the file, credentials included, and logs print causes: only the reason and the path
    throw new Error(`${what}: kubeconfig ${JSON.stringify(path)}: ${(error as { reason?: string }).reason ?? 'not a readable kubeconfig'}`);
  }
  if (cluster.context !== undefined) {
    if (kubeConfig.getContextObject(cluster.context) === null) throw new Error(`${what}: no context "${cluster.context}" in ${JSON.stringify(path)}`);
    kubeConfig.setCurrentContext(cluster.context);
  }
  if (kubeConfig.getCurrentCluster() === null) throw new Error(`${what}: the context of ${JSON.stringify(path)} names no cluster`);
  return kubeConfig;
}
