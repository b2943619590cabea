/**
 * The RBAC table against a real apiserver: the built-in resource table matches discovery, and the start-up
 * access check (SelfSubjectAccessReview) names exactly the accesses an identity lacks.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@watch-proxy/core';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import { accessNeeds, describeMissing, findMissingAccess, reportMissingAccess } from '../../src/rbac/access-check.js';
import { KUBE_RESOURCES } from '../../src/rbac/kube-resources.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster.stop();
});

interface Discovered {
  readonly name: string;
  readonly namespaced: boolean;
  readonly verbs?: readonly string[];
}

/** Every top-level resource the apiserver serves with list and watch: `plural` -> groups (core first) and scope. */
async function servedResources(): Promise<Map<string, { group: string; namespaced: boolean }[]>> {
  const served = new Map<string, { group: string; namespaced: boolean }[]>();
  const add = (group: string, list: readonly Discovered[]) => {
    for (const r of list) {
      if (r.name.includes('/') || !(r.verbs ?? []).includes('list') || !(r.verbs ?? []).includes('watch')) continue;
      served.set(r.name, [...(served.get(r.name) ?? []), { group, namespaced: r.namespaced }]);
    }
  };
  add('', ((await cluster.requestOk('GET', '/api/v1'))['resources'] as Discovered[]));
  const groups = (await cluster.requestOk('GET', '/apis'))['groups'] as { name: string; preferredVersion: { groupVersion: string } }[];
  for (const g of groups) add(g.name, (await cluster.requestOk('GET', `/apis/${g.preferredVersion.groupVersion}`))['resources'] as Discovered[]);
  return served;
}

describe('the built-in resource table', () => {
  it('holds every listable, watchable resource the apiserver serves, with the group discovery picks and its scope', async () => {
    const served = await servedResources();
    const expected = Object.fromEntries([...served].map(([plural, [first]]) => [plural, { group: first!.group, namespaced: first!.namespaced }]));
    expect({ ...KUBE_RESOURCES }).toEqual(expected);
  });
});

describe('the start-up access check', () => {
  const yaml = [
    'remoteEndpoints:',
    '- url: http://127.0.0.1:9/',
    'resources:',
    '- name: services',
    '- name: apps/v1/deployments',
    'leaderElection: {enabled: true, leaseName: le}',
    '',
  ].join('\n');
  const parsed = parseConfig(yaml, 'access.yaml', { checkEnvironment: false });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const config = parsed.config;

  it('finds nothing missing for an identity holding exactly the rules, and names each access of a missing rule', async () => {
    const needs = accessNeeds(config, 'wp-access', false);
    // list+watch on 2 resources, create + get/update of the Lease, create + get/update of 9 ConfigMaps.
    expect(needs).toHaveLength(4 + 3 + 1 + 18);
    const full = await cluster.mintToken({
      namespace: 'wp-access',
      serviceAccount: 'full',
      clusterRules: [
        { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      ],
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['le'], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'update'] },
      ],
    });
    const kc = new KubeConfig();
    kc.loadFromFile(full.kubeconfigPath);
    expect(await findMissingAccess(kc, needs)).toEqual([]);

    // No deployments, the Lease by another name: exactly those accesses are named.
    const partial = await cluster.mintToken({
      namespace: 'wp-access',
      serviceAccount: 'partial',
      clusterRules: [{ apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] }],
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['other'], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'update'] },
      ],
    });
    const pkc = new KubeConfig();
    pkc.loadFromFile(partial.kubeconfigPath);
    const missing = await findMissingAccess(pkc, needs);
    expect(missing.map(describeMissing).sort()).toEqual(
      [
        'may not list deployments.apps cluster-wide (a ClusterRole)',
        'may not watch deployments.apps cluster-wide (a ClusterRole)',
        'may not get leases.coordination.k8s.io named le in namespace wp-access (a Role there)',
        'may not update leases.coordination.k8s.io named le in namespace wp-access (a Role there)',
      ].sort(),
    );

    // The daemon's report: one warning per missing rule, carrying the rule's YAML.
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger: Logger = {
      warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }),
      info: () => {},
      error: () => {},
      debug: () => {},
      child: () => logger,
    };
    await reportMissingAccess({ config, kubeConfig: pkc, daemonNamespace: 'wp-access', dryRun: false, logger });
    expect(warnings.map((w) => w.fields['rule'])).toEqual([
      '- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [list, watch]',
      '- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  resourceNames: [le]\n  verbs: [get, update]',
    ]);
    expect(warnings[0]!.msg).toMatch(/^access check: may not list deployments\.apps cluster-wide \(a ClusterRole\) \(and 1 more of this rule\)/);
  });
});
