/**
 * The Helm chart (charts/watch-proxy) with a real Helm v4 (built from the Go module proxy by test/cluster) and a
 * real apiserver: `helm lint`; its RBAC equals what `watch-proxy rbac` prints for the config it renders, for
 * several configs; `helm template` passes `kubectl apply --dry-run=server`; `helm install` creates it; and the
 * daemon, run with a token of the chart's ServiceAccount (TokenRequest) and nothing else, with the chart's
 * rendered config, delivers a change to a loopback receiver and saves its cluster store; in HA mode two such
 * processes hand over through a rollout (issue 17's pod replacement: a new process with an empty stateDir and the
 * same cluster store re-sends nothing and reports the deletes made meanwhile). There is no kubelet here, so pods
 * never run: each pod is a process with exactly that identity.
 * Needs Go to build helm: skipped (and counted) without it outside CI; in CI it must run.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { ensureHelm } from '@watch-proxy/test-cluster';
import { freePort } from '@watch-proxy/test-cluster/free-port';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';

import { loadConfigFile } from '../../src/config/index.js';
import { runRbac } from '../../src/rbac/rbac-command.js';
import { waitFor } from '@watch-proxy/test-support';

import { useE2eFile } from '../e2e/harness.js';

const run = promisify(execFile);
const CHART = fileURLToPath(new URL('../../../../charts/watch-proxy', import.meta.url));

async function hasGo(): Promise<boolean> {
  try {
    await run('go', ['version']);
    return true;
  } catch {
    return false;
  }
}
const goFound = await hasGo();
if (!goFound && process.env['CI'] !== undefined) throw new Error('go is missing: CI builds helm from the Go module proxy, the chart must be checked in CI');

type K8sObject = { kind: string; metadata: { name: string; namespace?: string; labels?: unknown } } & Record<string, unknown>;
const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

describe.skipIf(!goFound)('the Helm chart', () => {
  const file = useE2eFile('wp-chart-');
  let helmBin = '';
  beforeAll(async () => {
    helmBin = await ensureHelm();
  }, 1_800_000);

  /** Runs helm against the file's cluster, with its state kept in the scratch folder. */
  async function helm(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, KUBECONFIG: file.cluster.kubeconfigPath, HELM_CACHE_HOME: join(file.dir, 'helm-cache'), HELM_CONFIG_HOME: join(file.dir, 'helm-config'), HELM_DATA_HOME: join(file.dir, 'helm-data') };
    try {
      const { stdout, stderr } = await run(helmBin, [...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  let valuesCount = 0;
  function valuesFile(values: unknown): string {
    const path = join(file.dir, `values-${String(++valuesCount)}.yaml`);
    writeFileSync(path, stringify(values));
    return path;
  }

  async function template(values: unknown, release = 'watch-proxy', namespace = 'watch-proxy'): Promise<K8sObject[]> {
    const out = await helm(['template', release, CHART, '-n', namespace, '-f', valuesFile(values)]);
    if (out.code !== 0) throw new Error(`helm template failed: ${out.stderr}`);
    return parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
  }

  const configOf = (objects: readonly K8sObject[]): string => (objects.find((o) => o.kind === 'ConfigMap')!['data'] as Record<string, string>)['config.yaml']!;
  const endpoint = { url: 'http://receiver.example:8080/x' };

  it('passes helm lint with its defaults and with every option on', async () => {
    expect(await helm(['lint', CHART, '--strict'])).toMatchObject({ code: 0 });
    const everything = {
      config: { resources: [{ name: 'services' }], remoteEndpoints: [endpoint] },
      highAvailability: { enabled: true },
      podDisruptionBudget: { enabled: true },
      serviceMonitor: { enabled: true },
      networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: {} }], egress: [{}] },
      secretEnv: [{ name: 'TOKEN', secretName: 'creds', key: 'token' }],
      secretMounts: [{ secretName: 'tls', mountPath: '/etc/watch-proxy/tls' }],
    };
    const lint = await helm(['lint', CHART, '--strict', '-f', valuesFile(everything)]);
    expect(lint.stderr + lint.stdout).toContain('0 chart(s) failed');
    // The schema is the config's: a key the daemon would refuse is refused at install time.
    const bad = await helm(['lint', CHART, '-f', valuesFile({ config: { resources: [{ name: 'pods', labelSelectr: 'a=b' }] } })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/labelSelectr/);
  });

  it('renders the same RBAC as `watch-proxy rbac` for the config it renders', async () => {
    const configs: unknown[] = [
      // Cluster-wide, a CRD, HA (the Lease and its ConfigMaps).
      { config: { resources: [{ name: 'services' }, { name: 'apps/v1/deployments' }, { name: 'certificates.cert-manager.io' }, { name: 'pods' }, { name: 'v1/nodes' }], remoteEndpoints: [endpoint] }, highAvailability: { enabled: true } },
      // Every resource namespaced and limited to namespaces: a Role per namespace; the default cluster store.
      { config: { resources: [{ name: 'configmaps', namespaces: ['b', 'a'] }, { name: 'deployments', namespaces: ['a'] }, { name: 'widgets.example.com', namespaces: ['c'] }], remoteEndpoints: [endpoint] } },
      // A cluster-scoped resource with namespaces falls back to a ClusterRole; no store, no Lease.
      { config: { resources: [{ name: 'configmaps', namespaces: ['a'] }, { name: 'nodes', namespaces: ['a'] }], remoteEndpoints: [endpoint], stateStore: { type: 'disk' } } },
      // Lease and store in namespaces of their own, named.
      { config: { resources: [{ name: 'ingresses.networking.k8s.io' }], remoteEndpoints: [endpoint], leaderElection: { enabled: true, leaseName: 'le', namespace: 'lease-ns' }, stateStore: { type: 'cluster', name: 'st', namespace: 'store-ns' } } },
      // Leader election from the config itself, the store defaulting to the Lease's name and namespace.
      { config: { resources: [{ name: 'jobs', namespaces: ['batch-ns'] }], remoteEndpoints: [endpoint], leaderElection: { enabled: true, leaseName: 'le2', namespace: 'election-ns' } } },
      // clusterUid: get on the kube-system Namespace, beside namespaced watch Roles.
      { config: { resources: [{ name: 'jobs', namespaces: ['batch-ns'] }], remoteEndpoints: [endpoint], clusterUid: true } },
      // clusterUid of a cluster entry from the chart's clusters value, the top-level default off.
      { config: { resources: [{ name: 'services' }], remoteEndpoints: [endpoint] }, clusters: [{ name: 'remote', kubeconfigSecret: { name: 's' } }, { name: 'local', clusterUid: true }] },
    ];
    for (const [i, values] of configs.entries()) {
      const objects = await template(values);
      const configPath = join(file.dir, `rendered-${String(i)}.yaml`);
      writeFileSync(configPath, configOf(objects));
      // What the chart renders is a config the daemon accepts.
      const loaded = await loadConfigFile(configPath, { checkEnvironment: false });
      expect(loaded.ok ? [] : loaded.errors).toEqual([]);

      let printed = '';
      const code = await runRbac({ config: configPath, name: 'watch-proxy', namespace: 'watch-proxy', stdout: { write: (t: string) => (printed += t) }, stderr: { write: () => true } });
      expect(code).toBe(0);
      const normalize = (list: readonly K8sObject[]) =>
        list
          .filter((o) => RBAC_KINDS.has(o.kind))
          .map((o) => ({ ...o, metadata: { ...o.metadata, labels: undefined } }))
          .sort((a, b) => `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`));
      const fromCommand = normalize(parseAllDocuments(printed).map((d) => d.toJS() as K8sObject));
      expect(fromCommand.length).toBeGreaterThan(0);
      expect(normalize(objects), `config ${String(i)}`).toEqual(fromCommand);
    }
  });

  it('refuses a bare plural it cannot place in an API group, as the command does', async () => {
    const out = await helm(['template', 'watch-proxy', CHART, '-f', valuesFile({ config: { resources: [{ name: 'widgets' }], remoteEndpoints: [endpoint] } })]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('"widgets" is not a built-in resource');
  });
  it("mounts each remote cluster's kubeconfig Secret read-only and points its config.clusters entry at the file", async () => {
    const values = {
      config: { resources: [{ name: 'services' }], remoteEndpoints: [endpoint], clusters: [{ name: 'from-config', kubeconfig: 'in-cluster' }] },
      clusters: [
        { name: 'prod-eu', kubeconfigSecret: { name: 'cluster-prod-eu' }, context: 'eu', metadata: { region: 'eu' } },
        { name: 'prod-us', kubeconfigSecret: { name: 'cluster-prod-us', key: 'config' } },
        { name: 'local' },
      ],
    };
    const objects = await template(values);
    const config = parse(configOf(objects)) as { clusters: unknown[] };
    // Appended after config.clusters; the entry without a Secret is the pod's own cluster.
    expect(config.clusters).toEqual([
      { name: 'from-config', kubeconfig: 'in-cluster' },
      { name: 'prod-eu', kubeconfig: '/etc/watch-proxy-clusters/prod-eu/kubeconfig', context: 'eu', metadata: { region: 'eu' } },
      { name: 'prod-us', kubeconfig: '/etc/watch-proxy-clusters/prod-us/config' },
      { name: 'local', kubeconfig: 'in-cluster' },
    ]);
    const configPath = join(file.dir, 'rendered-clusters.yaml');
    writeFileSync(configPath, configOf(objects));
    const loaded = await loadConfigFile(configPath, { checkEnvironment: false });
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);

    type Pod = { containers: { volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[]; volumes: ({ name: string } & Record<string, unknown>)[] };
    const pod = ((objects.find((o) => o.kind === 'Deployment')!['spec'] as { template: { spec: Pod } }).template.spec);
    const mounts = pod.containers[0]!.volumeMounts.filter((m) => m.name.startsWith('cluster-'));
    expect(mounts).toEqual([
      { name: 'cluster-0', mountPath: '/etc/watch-proxy-clusters/prod-eu', readOnly: true },
      { name: 'cluster-1', mountPath: '/etc/watch-proxy-clusters/prod-us', readOnly: true },
    ]);
    expect(pod.volumes.filter((v) => v.name.startsWith('cluster-'))).toEqual([
      { name: 'cluster-0', secret: { secretName: 'cluster-prod-eu', defaultMode: 0o440, items: [{ key: 'kubeconfig', path: 'kubeconfig' }] } },
      { name: 'cluster-1', secret: { secretName: 'cluster-prod-us', defaultMode: 0o440, items: [{ key: 'config', path: 'config' }] } },
    ]);
    // A config change rolls the pods: the cluster list is part of the checksummed config.
    const without = await template({ config: values.config });
    const checksum = (list: readonly K8sObject[]) => (list.find((o) => o.kind === 'Deployment')!['spec'] as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['checksum/config'];
    expect(checksum(objects)).not.toBe(checksum(without));
    expect(without.find((o) => o.kind === 'Deployment')!['spec']).not.toMatchObject({ template: { spec: { volumes: expect.arrayContaining([expect.objectContaining({ name: 'cluster-0' })]) } } });

    // The values schema refuses what the daemon or the mount could not use, naming the key.
    for (const [bad, word] of [
      [{ name: 'prod eu', kubeconfigSecret: { name: 's' } }, 'name'],
      [{ name: 'prod-eu', kubeconfigSecret: { secret: 's' } }, 'secret'],
      [{ name: 'prod-eu', kubeconfig: '/etc/k' }, 'kubeconfig'],
    ] as const) {
      const out = await helm(['lint', CHART, '-f', valuesFile({ config: values.config, clusters: [bad] })]);
      expect(out.code, JSON.stringify(bad)).not.toBe(0);
      expect(out.stdout + out.stderr).toContain(word);
      expect(out.stdout + out.stderr).toMatch(/clusters/);
    }
  });


  it('passes kubectl apply --dry-run=server, and helm install creates it', async () => {
    const ns = 'wp-chart-dry';
    await file.cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // Everything but the ServiceMonitor, whose CRD (Prometheus Operator) this apiserver does not serve.
    const values = {
      config: { resources: [{ name: 'services' }, { name: 'configmaps', namespaces: [ns] }], remoteEndpoints: [{ ...endpoint, bearerTokenVar: 'TOKEN' }] },
      highAvailability: { enabled: true },
      podDisruptionBudget: { enabled: true },
      networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: {} }], egress: [{}] },
      secretEnv: [{ name: 'TOKEN', secretName: 'creds', key: 'token' }],
      secretMounts: [{ secretName: 'tls', mountPath: '/etc/watch-proxy/tls' }],
      clusters: [{ name: 'remote', kubeconfigSecret: { name: 'cluster-remote' } }, { name: 'local' }],
    };
    const rendered = await helm(['template', 'dry', CHART, '-n', ns, '-f', valuesFile(values)]);
    expect(rendered.code).toBe(0);
    const manifest = join(file.dir, 'rendered.yaml');
    writeFileSync(manifest, rendered.stdout);
    const dry = await file.cluster.kubectl(['apply', '--dry-run=server', '-f', manifest]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/deployment\.apps\/dry-watch-proxy created \(server dry run\)/);

    const installed = await helm(['install', 'inst', CHART, '-n', 'wp-chart-install', '--create-namespace', '-f', valuesFile(values)]);
    expect(installed.stderr).not.toMatch(/Error/);
    expect(installed.code).toBe(0);
    expect((await helm(['status', 'inst', '-n', 'wp-chart-install'])).stdout).toMatch(/STATUS: deployed/);
    const deployment = await file.cluster.requestOk('GET', '/apis/apps/v1/namespaces/wp-chart-install/deployments/inst-watch-proxy');
    expect((deployment['spec'] as { replicas: number }).replicas).toBe(2);
  });

  it("runs the daemon with exactly the chart's ServiceAccount and rendered config: a change reaches the receiver", async () => {
    const ns = 'wp-chart-e2e';
    const watched = 'wp-chart-apps';
    await file.cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: watched } });
    const receiver = await file.receiver();
    const [metricsPort, probePort] = [await freePort(), await freePort()];
    const values = {
      config: {
        stateDir: join(file.dir, 'state'),
        prometheusMetrics: { port: metricsPort },
        httpLiveness: { port: probePort },
        resources: [{ name: 'configmaps', namespaces: [watched] }],
        remoteEndpoints: [{ url: receiver.url(), name: 'receiver' }],
      },
    };
    const installed = await helm(['install', 'wp', CHART, '-n', ns, '--create-namespace', '-f', valuesFile(values)]);
    expect(installed.code).toBe(0);

    // The config the chart installed, read back from the cluster.
    const cm = await file.cluster.requestOk('GET', `/api/v1/namespaces/${ns}/configmaps/wp-watch-proxy`);
    const configPath = join(file.dir, 'installed-config.yaml');
    writeFileSync(configPath, (cm['data'] as Record<string, string>)['config.yaml']!);
    // A token of the chart's ServiceAccount, no rules added: its only rights are the chart's RBAC.
    const minted = await file.cluster.mintToken({ namespace: ns, serviceAccount: 'wp-watch-proxy' });

    const daemon = file.daemon(['-c', configPath, '--kubeconfig', minted.kubeconfigPath], { POD_NAMESPACE: ns, POD_NAME: 'wp-watch-proxy-0' });
    await daemon.waitForLog('access check: every access the config needs is granted');
    await daemon.waitForLog('initial sync done');
    await file.cluster.requestOk('POST', `/api/v1/namespaces/${watched}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-chart', namespace: watched }, data: { k: 'v' } });
    await waitFor(() => receiver.about('via-chart').some((i) => i.event === 'add'), `the change at the receiver\n${daemon.stderr.slice(-4000)}`, 60_000);

    // It keeps its caches in the ConfigMaps the chart granted (the default cluster store).
    await waitFor(async () => (await file.cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/watch-proxy-emit-cache-intents`)).status === 200, 'the store intent log', 60_000);
    daemon.signal('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.logs.filter((l) => String(l.msg).startsWith('access check: may not') || /forbidden/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it("in HA mode the chart's two replicas hand over through a rollout: the new pod (new process, empty stateDir, same cluster store) re-sends nothing and reports the deletes made meanwhile", async () => {
    const ns = 'wp-chart-ha';
    const watched = 'wp-chart-ha-apps';
    await file.cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: watched } });
    const receiver = await file.receiver();
    const values = {
      config: {
        stateDir: join(file.dir, 'pod-a'),
        prometheusMetrics: { port: await freePort() },
        httpLiveness: { port: await freePort() },
        resources: [{ name: 'configmaps', namespaces: [watched] }],
        remoteEndpoints: [{ url: receiver.url(), name: 'receiver' }],
      },
      highAvailability: { enabled: true },
    };
    const installed = await helm(['install', 'ha', CHART, '-n', ns, '--create-namespace', '-f', valuesFile(values)]);
    expect(installed.code).toBe(0);
    const cm = await file.cluster.requestOk('GET', `/api/v1/namespaces/${ns}/configmaps/ha-watch-proxy`);
    const rendered = (cm['data'] as Record<string, string>)['config.yaml']!;
    const podA = join(file.dir, 'ha-pod-a.yaml');
    writeFileSync(podA, rendered);
    // The second pod reads the same config; only what a pod of its own has differs: its emptyDir (empty) and,
    // as both processes share this host's network, its ports.
    const podB = join(file.dir, 'ha-pod-b.yaml');
    const own = parse(rendered) as Record<string, unknown>;
    writeFileSync(podB, stringify({ ...own, stateDir: join(file.dir, 'pod-b'), prometheusMetrics: { port: await freePort() }, httpLiveness: { port: await freePort() } }));
    const minted = await file.cluster.mintToken({ namespace: ns, serviceAccount: 'ha-watch-proxy' });
    const pod = (config: string, name: string) => file.daemon(['-c', config, '--kubeconfig', minted.kubeconfigPath], { POD_NAMESPACE: ns, POD_NAME: name });
    const holder = async (): Promise<string> => {
      const lease = await file.cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/watch-proxy`);
      return lease.status === 200 ? ((lease.body as { spec: { holderIdentity?: string } }).spec.holderIdentity ?? '') : '';
    };
    const create = (name: string): Promise<unknown> =>
      file.cluster.requestOk('POST', `/api/v1/namespaces/${watched}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: watched }, data: { k: name } });
    const count = (name: string, event: string): number => receiver.about(name).filter((i) => i.event === event).length;

    const a = pod(podA, 'ha-watch-proxy-a');
    // Leading, with delivery taken over: a change from now on reaches the receiver as the add it is (one made
    // before the takeover is sent as an update, since a new leader cannot tell whether its predecessor sent it).
    await a.waitForLog('leader: delivering what the receivers miss');
    expect(await holder()).toMatch(/^ha-watch-proxy-a_/);
    const keep = ['via-chart', 'keep-0', 'keep-1'];
    const gone = ['gone-0', 'gone-1', 'gone-2'];
    for (const name of [...keep, ...gone]) await create(name);
    await waitFor(() => [...keep, ...gone].every((name) => count(name, 'add') === 1), `every add from the leader\n${a.stderr.slice(-4000)}`, 60_000);

    // The rollout: the new pod starts as a standby beside the leader, then the old pod is stopped (it saves the
    // cluster store, then releases the Lease) and objects are deleted before or while the new pod takes over.
    const b = pod(podB, 'ha-watch-proxy-b');
    await b.waitForLog('initial sync done');
    const sent = receiver.items().length;
    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    for (const name of gone) await file.cluster.requestOk('DELETE', `/api/v1/namespaces/${watched}/configmaps/${name}`);
    await waitFor(async () => /^ha-watch-proxy-b_/.test(await holder()), `the new pod to take the Lease\n${b.stderr.slice(-4000)}`, 60_000);
    await b.waitForLog('leader: delivering what the receivers miss');
    await create('sentinel');
    await waitFor(() => count('sentinel', 'add') === 1 && gone.every((name) => count(name, 'delete') === 1), `the deletes and the sentinel from the new pod\n${b.stderr.slice(-4000)}`, 60_000);
    const after = receiver.items().slice(sent);
    expect(after.map((i) => `${i.event}:${i.data.metadata.name}`).sort()).toEqual([...gone.map((name) => `delete:${name}`), 'add:sentinel'].sort());
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
    for (const d of [a, b]) expect(d.logs.filter((l) => String(l.msg).startsWith('access check: may not') || /forbidden/i.test(JSON.stringify(l)))).toEqual([]);
    // Two daemons, each starting its watches: on a loaded 2-core machine that takes several times longer.
  }, 240_000);
});
