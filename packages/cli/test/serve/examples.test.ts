import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';

// The examples/ manifests must agree with each other: the probes and ports with the config, the env vars with
// the Secrets and the config's *Var keys, the ClusterRole with the configured resources. kubectl's server-side
// dry run (test/cluster/test/examples.int.test.ts) checks each file alone; this checks them together.

type Doc = Record<string, unknown>;

function docs(file: string): Doc[] {
  const text = readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

/** Every manifest file directly under examples/ (a YAML file with a `kind:`). */
const manifestFiles = readdirSync(new URL('../../../../examples/', import.meta.url))
  .filter((name) => /\.ya?ml$/.test(name))
  .filter((name) => /^kind:/m.test(readFileSync(new URL(`../../../../examples/${name}`, import.meta.url), 'utf8')));

function only(file: string, kind: string): Doc {
  const found = docs(file).filter((d) => d['kind'] === kind);
  expect(found, `${file}: one ${kind}`).toHaveLength(1);
  return found[0] as Doc;
}

const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

const configText = at(only('config.yaml', 'ConfigMap'), 'data', 'config.yaml') as string;
const deployment = only('deployment.yaml', 'Deployment');
const pod = at(deployment, 'spec', 'template', 'spec') as Doc;
const container = at(pod, 'containers', 0) as Doc;
const envNames = (at(container, 'env') as { name: string }[]).map((e) => e.name);
const env = Object.fromEntries(envNames.map((name) => [name, 'x']));

function loaded() {
  const result = parseConfig(configText, 'examples/config.yaml', { env, strict: true });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result;
}

describe('examples/', () => {
  it('config.yaml holds a config that loads in strict mode without warnings, given the Deployment env', () => {
    expect(loaded().warnings.map(formatDiagnostic)).toEqual([]);
  });

  it('deployment.yaml probes and ports match the config, and mounts the config and stateDir', () => {
    const config = loaded().config;
    const ports = Object.fromEntries((at(container, 'ports') as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ metrics: config.prometheusMetrics?.port, probes: config.httpLiveness?.port });
    expect(at(container, 'livenessProbe', 'httpGet')).toEqual({ path: config.httpLiveness?.path, port: 'probes' });
    expect(at(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/ready', port: 'probes' });
    const annotations = at(deployment, 'spec', 'template', 'metadata', 'annotations') as Record<string, string>;
    expect(annotations['prometheus.io/port']).toBe(String(config.prometheusMetrics?.port));
    expect(annotations['prometheus.io/path']).toBe(config.prometheusMetrics?.path);

    const mounts = Object.fromEntries((at(container, 'volumeMounts') as { name: string; mountPath: string }[]).map((m) => [m.name, m.mountPath]));
    expect(mounts['state']).toBe(config.stateDir);
    expect(mounts['config']).toBe('/etc/watch-proxy');
    expect(at(container, 'args')).toEqual(['-c', '/etc/watch-proxy/config.yaml']);
    const volumes = at(pod, 'volumes') as Doc[];
    expect(volumes.find((v) => v['name'] === 'state')).toHaveProperty('emptyDir');
    expect(volumes.find((v) => v['name'] === 'config')).toEqual({ name: 'config', configMap: { name: 'watch-proxy' } });
  });

  it('deployment.yaml runs non-root with a read-only root filesystem, limits and the RBAC service account', () => {
    expect(at(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(at(container, 'securityContext')).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(at(container, 'resources', 'limits', 'memory')).toBeDefined();
    expect(at(container, 'resources', 'requests', 'cpu')).toBeDefined();
    expect(at(pod, 'serviceAccountName')).toBe(at(only('rbac.yaml', 'ServiceAccount'), 'metadata', 'name'));
    expect(at(deployment, 'spec', 'strategy', 'type')).toBe('Recreate');
  });

  it('deployment.yaml takes every env var the config names from a Secret of secrets.yaml', () => {
    const config = loaded().config;
    const named = config.remoteEndpoints.flatMap((e) => [e.usernameVar, e.passwordVar]).filter((v): v is string => v !== null);
    expect([...envNames].sort()).toEqual([...named].sort());
    const secrets = new Map(docs('secrets.yaml').map((s) => [at(s, 'metadata', 'name'), Object.keys(at(s, 'stringData') as object)]));
    for (const e of at(container, 'env') as { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[]) {
      expect(secrets.get(e.valueFrom.secretKeyRef.name), e.name).toContain(e.valueFrom.secretKeyRef.key);
    }
  });

  it('rbac.yaml grants exactly get/list/watch on the configured resources, and binds it to the service account', () => {
    const config = loaded().config;
    const role = only('rbac.yaml', 'ClusterRole');
    expect(at(role, 'rules')).toEqual([{ apiGroups: [''], resources: config.resources.map((r) => r.name), verbs: ['get', 'list', 'watch'] }]);
    const binding = only('rbac.yaml', 'ClusterRoleBinding');
    expect(at(binding, 'roleRef', 'name')).toBe(at(role, 'metadata', 'name'));
    expect(at(binding, 'subjects', 0)).toEqual({ kind: 'ServiceAccount', name: 'watch-proxy', namespace: 'watch-proxy' });
  });

  it('echo.yaml serves the hosts the config sends to', () => {
    const hosts = loaded().config.remoteEndpoints.map((e) => new URL(e.url).host).sort();
    const services = docs('echo.yaml').filter((d) => d['kind'] === 'Service');
    expect(services.map((s) => at(s, 'metadata', 'name')).sort()).toEqual(hosts);
    for (const s of services) expect(at(s, 'spec', 'ports', 0, 'port')).toBe(80);
  });

  it('namespace.yaml defines the watch-proxy namespace', () => {
    expect(at(only('namespace.yaml', 'Namespace'), 'metadata', 'name')).toBe('watch-proxy');
  });

  it('every namespaced object of every manifest is in the watch-proxy namespace', () => {
    expect(manifestFiles).toEqual(expect.arrayContaining(['namespace.yaml', 'rbac.yaml', 'config.yaml', 'secrets.yaml', 'deployment.yaml', 'echo.yaml']));
    for (const file of manifestFiles) {
      for (const d of docs(file)) {
        if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(d['kind'] as string)) continue;
        expect(at(d, 'metadata', 'namespace'), `${file} ${String(d['kind'])}`).toBe('watch-proxy');
      }
    }
  });
});
