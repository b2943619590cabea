/**
 * An {@link AccessPlan} as Kubernetes RBAC objects bound to the daemon's ServiceAccount: a ClusterRole (or one Role
 * per watched namespace) named `<name>` for the watches, and a Role `<name>-state` per namespace holding the Lease
 * or the store's ConfigMaps, and with `clusterUid` a ClusterRole `<name>-cluster-uid` to read the `kube-system`
 * Namespace. The Helm chart renders the same objects under the same names.
 */
import { Document, isScalar, isSeq, visit } from 'yaml';

import type { AccessPlan, PolicyRule } from './access-rules.js';

/** Who the roles are for. */
export interface RbacSubject {
  /** Name of the roles and bindings, and of the ServiceAccount. */
  readonly name: string;
  /** The ServiceAccount's namespace: the daemon's, and the Lease's and store's unless the config names another. */
  readonly namespace: string;
}

/** One RBAC object (Role, ClusterRole, RoleBinding or ClusterRoleBinding). */
export interface RbacObject {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'ClusterRole' | 'ClusterRoleBinding' | 'Role' | 'RoleBinding';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly rules?: readonly PolicyRule[];
  readonly roleRef?: { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'ClusterRole' | 'Role'; readonly name: string };
  readonly subjects?: readonly { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string }[];
}

const API = 'rbac.authorization.k8s.io/v1';
const LABELS = Object.freeze({ 'app.kubernetes.io/name': 'watch-proxy' });

function role(kind: 'ClusterRole' | 'Role', name: string, namespace: string | undefined, rules: readonly PolicyRule[], subject: RbacSubject): RbacObject[] {
  const meta = { name, ...(namespace === undefined ? {} : { namespace }), labels: LABELS };
  return [
    { apiVersion: API, kind, metadata: meta, rules },
    {
      apiVersion: API,
      kind: kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }],
    },
  ];
}

/** The roles and bindings of `plan` for `subject`, watch roles first, then the state roles. */
export function rbacObjects(plan: AccessPlan, subject: RbacSubject): RbacObject[] {
  const objects: RbacObject[] = [];
  if (plan.watch.scope === 'cluster') {
    if (plan.watch.rules.length > 0) objects.push(...role('ClusterRole', subject.name, undefined, plan.watch.rules, subject));
  } else {
    for (const [ns, rules] of plan.watch.byNamespace) objects.push(...role('Role', subject.name, ns, rules, subject));
  }
  for (const [ns, rules] of plan.state) {
    if (rules.length > 0) objects.push(...role('Role', `${subject.name}-state`, ns ?? subject.namespace, rules, subject));
  }
  if (plan.identity.length > 0) objects.push(...role('ClusterRole', `${subject.name}-cluster-uid`, undefined, plan.identity, subject));
  return objects;
}

/** One value as YAML, lists of scalars on one line (`verbs: [list, watch]`). */
function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, seq) {
      if (isSeq(seq) && seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** `objects` as a multi-document YAML stream (`kubectl apply -f -` takes it). */
export function rbacYaml(objects: readonly RbacObject[]): string {
  return objects.map(toYaml).join('---\n');
}

/** One rule as a YAML list item, ready to paste under a Role's `rules:`. */
export function ruleYaml(rule: PolicyRule): string {
  return toYaml([rule]);
}
