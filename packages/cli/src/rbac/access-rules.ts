/**
 * The one table of what the daemon needs from the apiserver for a config, as RBAC rules: list and watch on
 * exactly the configured resources (cluster-wide, or per namespace when every resource is namespaced and limited
 * to `namespaces`), the Lease only with leader election, the emit cache ConfigMaps only with a cluster store, and
 * `get` on the `kube-system` Namespace only with `clusterUid`.
 * `watch-proxy rbac` prints it, the start-up access check asks the apiserver about each rule, and the Helm chart
 * renders the same rules (a test keeps them equal).
 */
import type { WatchProxyConfig } from '../config/index.js';
import { rbacResource } from './kube-resources.js';

/** One RBAC rule, as in a Role's `rules`. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** What a config needs, before it is turned into Roles. */
export interface AccessPlan {
  /**
   * The watch rules: one ClusterRole's (`cluster`), or one Role's per namespace (`namespaced`: every resource is
   * namespaced and lists its `namespaces`). Empty rules when the config watches nothing.
   */
  readonly watch:
    | { readonly scope: 'cluster'; readonly rules: readonly PolicyRule[] }
    | { readonly scope: 'namespaced'; readonly byNamespace: ReadonlyMap<string, readonly PolicyRule[]> };
  /** Lease and state-store ConfigMap rules per namespace; the key `null` is the daemon's own namespace. */
  readonly state: ReadonlyMap<string | null, readonly PolicyRule[]>;
  /**
   * With `clusterUid` (top-level or of any cluster): `get` on the `kube-system` Namespace, a ClusterRole's rule
   * (Namespaces are cluster-scoped). Empty otherwise.
   */
  readonly identity: readonly PolicyRule[];
  /** Bare resource names no table knows (CRD plurals): RBAC needs them as `plural.group`. */
  readonly unresolved: readonly string[];
}

/** The rule `clusterUid` needs: read the one Namespace whose UID names the cluster. */
export const CLUSTER_UID_RULE: PolicyRule = Object.freeze({ apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] });

/** Whether some cluster of `config` reads its `kube-system` Namespace UID (a cluster's own setting wins). */
export function usesClusterUid(config: WatchProxyConfig): boolean {
  return config.clusters === undefined ? config.clusterUid : config.clusters.some((c) => c.clusterUid ?? config.clusterUid);
}

/** Verbs the daemon uses on watched resources: it lists then watches, and never reads one object by name. */
export const WATCH_VERBS: readonly string[] = ['list', 'watch'];

/** The ConfigMaps of a cluster store named `name`: the 8 shards and the intent log (core's fixed layout). */
export function stateStoreConfigMapNames(name: string): string[] {
  return [...Array.from({ length: 8 }, (_, i) => `${name}-emit-cache-${String(i)}`), `${name}-emit-cache-intents`];
}

/** list/watch rules for `(group, plural)` pairs: one rule per API group, groups and resources sorted. */
function watchRules(resources: readonly { readonly group: string; readonly plural: string }[]): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const { group, plural } of resources) {
    const plurals = byGroup.get(group) ?? new Set<string>();
    plurals.add(plural);
    byGroup.set(group, plurals);
  }
  return [...byGroup.keys()].sort().map((group) => ({ apiGroups: [group], resources: [...byGroup.get(group)!].sort(), verbs: [...WATCH_VERBS] }));
}

/** Lease and ConfigMap rules: `create` cannot be limited by name (the object may not exist yet); get/update can. */
function stateRules(lease: string | undefined, store: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  if (lease !== undefined) {
    rules.push({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] });
    rules.push({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease], verbs: ['get', 'update'] });
  }
  if (store !== undefined) {
    rules.push({ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] });
    rules.push({ apiGroups: [''], resources: ['configmaps'], resourceNames: stateStoreConfigMapNames(store), verbs: ['get', 'update'] });
  }
  return rules;
}

/** Options of {@link accessPlan}. */
export interface AccessPlanOptions {
  /** The namespace the daemon runs in (its ServiceAccount's): where the Lease and store live unless configured. */
  readonly daemonNamespace?: string | undefined;
  /** `--dry-run`: leaves out the Lease and the store, which a dry run uses neither of. Default false. */
  readonly dryRun?: boolean | undefined;
}

/** The least-privilege access `config` needs. */
export function accessPlan(config: WatchProxyConfig, options: AccessPlanOptions = {}): AccessPlan {
  const unresolved: string[] = [];
  const resolved = config.resources.flatMap((r) => {
    const ref = rbacResource(r.name);
    if (ref === undefined) unresolved.push(r.name);
    return ref === undefined ? [] : [{ ...ref, namespaces: r.namespaces }];
  });
  // Roles only when no resource needs (or may need) a cluster-wide grant.
  const namespaced = resolved.length > 0 && resolved.every((r) => r.namespaces !== undefined && r.namespaced !== false);
  let watch: AccessPlan['watch'];
  if (namespaced) {
    const names = [...new Set(resolved.flatMap((r) => r.namespaces ?? []))].sort();
    watch = { scope: 'namespaced', byNamespace: new Map(names.map((ns) => [ns, watchRules(resolved.filter((r) => r.namespaces?.includes(ns) === true))])) };
  } else {
    watch = { scope: 'cluster', rules: watchRules(resolved) };
  }

  // The daemon keeps its emit caches in stateStore's ConfigMaps when set, else (leader election) in the Lease's.
  const state = new Map<string | null, { lease?: string; store?: string }>();
  const at = (configured: string | undefined) => {
    const ns = configured ?? options.daemonNamespace ?? null;
    return state.get(ns) ?? state.set(ns, {}).get(ns)!;
  };
  if (options.dryRun !== true) {
    const election = config.leaderElection;
    if (election !== undefined) at(election.namespace).lease = election.leaseName;
    if (config.stateStore !== undefined) at(config.stateStore.namespace).store = config.stateStore.name;
    else if (election !== undefined) at(election.namespace).store = election.leaseName;
  }
  return {
    watch,
    state: new Map([...state].map(([ns, { lease, store }]) => [ns, stateRules(lease, store)])),
    identity: usesClusterUid(config) ? [CLUSTER_UID_RULE] : [],
    unresolved,
  };
}
