import { join } from 'node:path';

import { writeKubeconfigFile } from './kubeconfig.ts';

/** One RBAC rule, as in a Role's `rules`. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** What the minted identity may do. Rules left out grant nothing. */
export interface MintTokenOptions {
  /** Namespace of the ServiceAccount (created if missing). */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Namespaced permissions: a Role + RoleBinding in `namespace`. */
  readonly rules?: readonly PolicyRule[];
  /** Cluster-wide permissions: a ClusterRole + ClusterRoleBinding named `<namespace>-<serviceAccount>`. */
  readonly clusterRules?: readonly PolicyRule[];
  /** Bind this existing ClusterRole (e.g. one from examples/rbac.yaml) cluster-wide. */
  readonly clusterRole?: string;
  /** Token lifetime in seconds. Default 3600 (the apiserver's minimum is 600). */
  readonly expirationSeconds?: number;
}

/** A token for the minted ServiceAccount and a kubeconfig that uses it. */
export interface MintedToken {
  readonly token: string;
  readonly kubeconfigPath: string;
}

/** The slice of TestCluster this needs; keeps the module free of a cycle with cluster.ts. */
interface AdminApi {
  readonly dir: string;
  readonly server: string;
  readonly caFile: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/**
 * Creates (or updates) a ServiceAccount with exactly the given permissions and requests a token for it
 * through the TokenRequest API (no controller manager needed).
 */
export async function mintToken(cluster: AdminApi, options: MintTokenOptions): Promise<MintedToken> {
  const { namespace: ns, serviceAccount: sa } = options;
  await ensure(cluster, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await ensure(cluster, `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa, namespace: ns },
  });
  const subject = [{ kind: 'ServiceAccount', name: sa, namespace: ns }];
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  if (options.rules !== undefined) {
    await upsert(cluster, `${rbac}/namespaces/${ns}/roles`, sa, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: sa, namespace: ns },
      rules: options.rules,
    });
    await upsert(cluster, `${rbac}/namespaces/${ns}/rolebindings`, sa, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: sa, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: subject,
    });
  }
  const clusterName = `${ns}-${sa}`;
  if (options.clusterRules !== undefined) {
    await upsert(cluster, `${rbac}/clusterroles`, clusterName, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterName },
      rules: options.clusterRules,
    });
  }
  const roleName = options.clusterRole ?? (options.clusterRules !== undefined ? clusterName : undefined);
  if (roleName !== undefined) {
    await upsert(cluster, `${rbac}/clusterrolebindings`, clusterName, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: subject,
    });
  }
  const res = await cluster.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: options.expirationSeconds ?? 3600 },
  });
  const token = (res.body as { status?: { token?: string } }).status?.token;
  if (res.status !== 201 || token === undefined) {
    throw new Error(`test/cluster: TokenRequest for ${ns}/${sa} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const kubeconfigPath = join(cluster.dir, `kubeconfig-${ns}-${sa}`);
  writeKubeconfigFile(kubeconfigPath, cluster.server, cluster.caFile, `${ns}-${sa}`, token);
  return { token, kubeconfigPath };
}

async function ensure(cluster: AdminApi, path: string, body: unknown): Promise<void> {
  const res = await cluster.request('POST', path, body);
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`test/cluster: POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

async function upsert(cluster: AdminApi, collection: string, name: string, body: unknown): Promise<void> {
  const res = await cluster.request('POST', collection, body);
  if (res.status === 201) return;
  if (res.status === 409) {
    const put = await cluster.request('PUT', `${collection}/${name}`, body);
    if (put.status === 200) return;
    throw new Error(`test/cluster: PUT ${collection}/${name} answered ${put.status}: ${JSON.stringify(put.body)}`);
  }
  throw new Error(`test/cluster: POST ${collection} answered ${res.status}: ${JSON.stringify(res.body)}`);
}
