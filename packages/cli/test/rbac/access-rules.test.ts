import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import type { WatchProxyConfig } from '../../src/config/index.js';
import { CLUSTER_UID_RULE, accessPlan, stateStoreConfigMapNames } from '../../src/rbac/access-rules.js';
import { rbacObjects } from '../../src/rbac/rbac-manifests.js';
import { KUBE_RESOURCES, rbacResource } from '../../src/rbac/kube-resources.js';

function config(yaml: string): WatchProxyConfig {
  const result = parseConfig(`remoteEndpoints:\n- url: http://127.0.0.1:9/\n${yaml}`, 'test.yaml', { checkEnvironment: false });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const watch = (group: string, ...resources: string[]) => ({ apiGroups: [group], resources, verbs: ['list', 'watch'] });

describe('rbacResource', () => {
  it('reads each form of a resource name the way discovery does', () => {
    expect(rbacResource('pods')).toEqual({ group: '', plural: 'pods', namespaced: true });
    expect(rbacResource('nodes')).toEqual({ group: '', plural: 'nodes', namespaced: false });
    expect(rbacResource('deployments')).toEqual({ group: 'apps', plural: 'deployments', namespaced: true });
    expect(rbacResource('v1/services')).toEqual({ group: '', plural: 'services', namespaced: true });
    expect(rbacResource('networking.k8s.io/v1/ingressclasses')).toEqual({ group: 'networking.k8s.io', plural: 'ingressclasses', namespaced: false });
    expect(rbacResource('ingresses.networking.k8s.io')).toEqual({ group: 'networking.k8s.io', plural: 'ingresses', namespaced: true });
    // A CRD: its scope is unknown without a cluster.
    expect(rbacResource('certificates.cert-manager.io')).toEqual({ group: 'cert-manager.io', plural: 'certificates', namespaced: undefined });
    // A built-in plural in another group is not the built-in.
    expect(rbacResource('example.com/v1/pods')).toEqual({ group: 'example.com', plural: 'pods', namespaced: undefined });
    expect(rbacResource('widgets')).toBeUndefined();
    expect(rbacResource('x1/pods')).toBeUndefined();
  });

  it('maps events to the core group, as discovery picks it first', () => {
    expect(KUBE_RESOURCES['events']?.group).toBe('');
  });
});

describe('accessPlan', () => {
  it('grants list/watch on exactly the configured resources, one rule per API group, in a ClusterRole', () => {
    const plan = accessPlan(config('resources:\n- name: services\n- name: apps/v1/deployments\n- name: pods\n- name: replicasets\n- name: certificates.cert-manager.io\n- name: v1/services\n'));
    expect(plan.watch).toEqual({ scope: 'cluster', rules: [watch('', 'pods', 'services'), watch('apps', 'deployments', 'replicasets'), watch('cert-manager.io', 'certificates')] });
    expect([...plan.state]).toEqual([]);
    expect(plan.unresolved).toEqual([]);
  });

  it('uses a Role per namespace when every resource is namespaced and lists namespaces', () => {
    const plan = accessPlan(config('resources:\n- name: configmaps\n  namespaces: [b, a]\n- name: deployments\n  namespaces: [a]\n- name: widgets.example.com\n  namespaces: [c]\n'));
    expect(plan.watch.scope).toBe('namespaced');
    expect(plan.watch.scope === 'namespaced' ? [...plan.watch.byNamespace] : []).toEqual([
      ['a', [watch('', 'configmaps'), watch('apps', 'deployments')]],
      ['b', [watch('', 'configmaps')]],
      ['c', [watch('example.com', 'widgets')]],
    ]);
  });

  it('falls back to a ClusterRole when one resource is cluster-wide or cluster-scoped', () => {
    expect(accessPlan(config('resources:\n- name: configmaps\n  namespaces: [a]\n- name: services\n')).watch.scope).toBe('cluster');
    expect(accessPlan(config('resources:\n- name: configmaps\n  namespaces: [a]\n- name: nodes\n  namespaces: [a]\n')).watch).toEqual({
      scope: 'cluster',
      rules: [watch('', 'configmaps', 'nodes')],
    });
  });

  it('grants the Lease only with leader election and the store ConfigMaps only with a cluster store, by name', () => {
    const lease = (name: string) => [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [name], verbs: ['get', 'update'] },
    ];
    const store = (name: string) => [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: stateStoreConfigMapNames(name), verbs: ['get', 'update'] },
    ];
    const resources = 'resources:\n- name: pods\n';
    expect([...accessPlan(config(resources), { daemonNamespace: 'wp' }).state]).toEqual([]);
    expect([...accessPlan(config(`${resources}stateStore: {type: disk}\n`), { daemonNamespace: 'wp' }).state]).toEqual([]);
    expect([...accessPlan(config(`${resources}stateStore: {type: cluster}\n`), { daemonNamespace: 'wp' }).state]).toEqual([['wp', store('watch-proxy')]]);
    expect([...accessPlan(config(`${resources}stateStore: {type: cluster, name: st, namespace: other}\n`), { daemonNamespace: 'wp' }).state]).toEqual([['other', store('st')]]);
    // Leader election shares the caches through the Lease's ConfigMaps unless a cluster store names others.
    expect([...accessPlan(config(`${resources}leaderElection: {enabled: true, leaseName: le}\n`), { daemonNamespace: 'wp' }).state]).toEqual([['wp', [...lease('le'), ...store('le')]]]);
    expect([...accessPlan(config(`${resources}leaderElection: {enabled: true, namespace: x}\nstateStore: {type: cluster, namespace: y}\n`)).state]).toEqual([
      ['x', lease('watch-proxy')],
      ['y', store('watch-proxy')],
    ]);
    expect([...accessPlan(config(`${resources}leaderElection: {enabled: true}\n`)).state]).toEqual([[null, [...lease('watch-proxy'), ...store('watch-proxy')]]]);
    // A dry run uses neither.
    expect([...accessPlan(config(`${resources}leaderElection: {enabled: true}\nstateStore: {type: cluster}\n`), { dryRun: true }).state]).toEqual([]);
    expect(stateStoreConfigMapNames('n')).toEqual([...Array.from({ length: 8 }, (_, i) => `n-emit-cache-${String(i)}`), 'n-emit-cache-intents']);
  });

  it('grants get on the kube-system Namespace only when some cluster reads its clusterUid (its own setting winning)', () => {
    const resources = 'resources:\n- name: pods\n';
    expect(CLUSTER_UID_RULE).toEqual({ apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] });
    expect(accessPlan(config(resources)).identity).toEqual([]);
    expect(accessPlan(config(`${resources}clusterUid: true\n`)).identity).toEqual([CLUSTER_UID_RULE]);
    const clusters = (a: string, b: string) => `${resources}clusters:\n- {name: a, kubeconfig: in-cluster${a}}\n- {name: b, kubeconfig: in-cluster${b}}\n`;
    expect(accessPlan(config(`${clusters('', ', clusterUid: true')}`)).identity).toEqual([CLUSTER_UID_RULE]);
    expect(accessPlan(config(`clusterUid: true\n${clusters(', clusterUid: false', ', clusterUid: false')}`)).identity).toEqual([]);
    expect(accessPlan(config(`clusterUid: true\n${clusters(', clusterUid: false', '')}`)).identity).toEqual([CLUSTER_UID_RULE]);
    // A ClusterRole of its own, bound to the ServiceAccount, whatever scope the watch rules have.
    const plan = accessPlan(config('resources:\n- name: pods\n  namespaces: [a]\nclusterUid: true\n'));
    expect(plan.watch.scope).toBe('namespaced');
    const objects = rbacObjects(plan, { name: 'wp', namespace: 'ns' }).filter((o) => o.metadata.name === 'wp-cluster-uid');
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(objects[0]!.rules).toEqual([CLUSTER_UID_RULE]);
    expect(objects[1]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'wp', namespace: 'ns' }]);
  });

  it('lists bare plurals no table knows, leaving them out of the rules', () => {
    const plan = accessPlan(config('resources:\n- name: widgets\n- name: pods\n'));
    expect(plan.unresolved).toEqual(['widgets']);
    expect(plan.watch).toEqual({ scope: 'cluster', rules: [watch('', 'pods')] });
  });
});
