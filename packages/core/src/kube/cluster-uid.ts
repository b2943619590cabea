import type { KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient, KubeRequestError } from './kube-json-client.js';

/** Where a cluster's identity is read: the `kube-system` Namespace, which every cluster has and never renames. */
export const CLUSTER_UID_PATH = '/api/v1/namespaces/kube-system';

/**
 * The UID of the cluster's `kube-system` Namespace (`clusterUid`). Rejects with `KubeRequestError`: 403 when RBAC
 * forbids `get` on it, 0 when the apiserver could not be reached within `timeoutMs`.
 */
export async function readClusterUid(kubeConfig: KubeConfig, timeoutMs: number): Promise<string> {
  const namespace = await new KubeJsonClient(kubeConfig).request<{ metadata?: { uid?: unknown } }>({ method: 'GET', path: CLUSTER_UID_PATH, timeoutMs });
  const uid = namespace.metadata?.uid;
  if (typeof uid !== 'string' || uid === '') throw new KubeRequestError(200, `GET ${CLUSTER_UID_PATH}: the answer has no metadata.uid`);
  return uid;
}
