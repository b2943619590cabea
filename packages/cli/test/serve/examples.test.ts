import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { knownKeysAt } from '../../src/config/json-schema.js';
import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';
import { httpEndpoints } from '../config/http-endpoints.js';

// The examples/ manifests must agree with each other: the probes and ports with the config, the env vars with
// the Secrets and the config's *Var keys, the ClusterRole with the configured resources. kubectl's server-side
// dry run (test/cluster/test/examples.int.test.ts) checks each file alone; this checks them together.

type Doc = Record<string, unknown>;

function docs(file: string): Doc[] {
  const text = readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

/** Every manifest file directly under examples/ (a YAML file with a `kind:`; kustomization.yaml is kubectl's). */
const manifestFiles = readdirSync(new URL('../../../../examples/', import.meta.url))
  .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
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

// examples/config-full.yaml sets every key. It names env vars (the Secrets' ones and documented placeholders)
// and files (placeholders too), which loading checks: the test supplies them.
const fullText = at(only('config-full.yaml', 'ConfigMap'), 'data', 'config.yaml') as string;
const FULL_PLACEHOLDER_VARS = ['INVENTORY_API_KEY', 'INVENTORY_SIGNING_SECRET', 'VRO_TOKEN', 'KAFKA_USERNAME', 'KAFKA_PASSWORD', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN'];

function loadedFull() {
  // The files it names are absolute placeholder paths: point them at real files for the load.
  const dir = mkdtempSync(join(tmpdir(), 'config-full-'));
  try {
    let text = fullText;
    const raw = parseAllDocuments(fullText)[0]?.toJS() as { remoteEndpoints: Doc[] };
    const files = raw.remoteEndpoints.flatMap((e) => [e['bearerTokenFile'], (e['sasl'] as Doc | undefined)?.['passwordFile'], ...Object.values(typeof e['tls'] === 'object' ? (e['tls'] as Doc) : {})]);
    files.filter((f): f is string => typeof f === 'string').forEach((file, i) => {
      const local = join(dir, String(i));
      writeFileSync(local, 'x');
      text = text.replaceAll(file, local);
    });
    const result = parseConfig(text, 'examples/config-full.yaml', { env: { ...env, ...Object.fromEntries(FULL_PLACEHOLDER_VARS.map((v) => [v, 'x'])) }, strict: true });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    return { result, raw: parseAllDocuments(fullText)[0]?.toJS() as Doc };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('examples/', () => {
  it('config-full.yaml loads in strict mode without warnings, given the Deployment env and its documented placeholders', () => {
    expect(loadedFull().result.warnings.map(formatDiagnostic)).toEqual([]);
    // The placeholders are named in the file's header comment.
    const comment = readFileSync(new URL('../../../../examples/config-full.yaml', import.meta.url), 'utf8').split('\nkind:')[0] ?? '';
    for (const name of [...envNames, ...FULL_PLACEHOLDER_VARS]) expect(comment, name).toContain(name);
  });

  it('config-full.yaml sets every key of the schema (region, which always warns, and clusters, which replaces clusterName, in comments)', () => {
    const { raw } = loadedFull();
    const keysIn = (values: unknown[]): Set<string> => new Set(values.flatMap((v) => Object.keys((v as Doc | undefined) ?? {})));
    const endpoints = raw['remoteEndpoints'] as Doc[];
    const missing = (path: (string | number)[], present: Set<string>): string[] =>
      knownKeysAt(path).filter((key) => !present.has(key)).map((key) => [...path, key].join('.'));
    expect(knownKeysAt([]).length).toBeGreaterThan(10);
    expect([
      ...missing([], keysIn([raw])),
      ...missing(['leaderElection'], keysIn([raw['leaderElection']])),
      ...missing(['stateStore'], keysIn([raw['stateStore']])),
      ...missing(['prometheusMetrics'], keysIn([raw['prometheusMetrics']])),
      ...missing(['httpLiveness'], keysIn([raw['httpLiveness']])),
      ...missing(['remoteEndpoints', 0], keysIn(endpoints)),
      ...missing(['remoteEndpoints', 0, 'tls'], keysIn(endpoints.map((e) => e['tls']).filter((tls) => typeof tls === 'object'))),
      ...missing(['remoteEndpoints', 0, 'sasl'], keysIn(endpoints.map((e) => e['sasl']))),
      ...missing(['remoteEndpoints', 0, 'topicSettings'], keysIn(endpoints.map((e) => e['topicSettings']))),
      ...missing(['resources', 0], keysIn(raw['resources'] as Doc[])),
    ]).toEqual(['clusters', 'remoteEndpoints.0.clusters', 'remoteEndpoints.0.region']);
    expect(fullText).toMatch(/^\s*# .*\n\s*# .*region: /m);
    expect(fullText).toMatch(/^\s*# clusters:\n\s*# {3}- name: /m);
    expect(fullText).toMatch(/unless they set clusters: \[names\]/);
  });

  it('config-full.yaml watches what config.yaml watches, with the same ports, paths and stateDir', () => {
    const full = loadedFull().result.config;
    const config = loaded().config;
    expect(full.resources.map((r) => r.name)).toEqual(expect.arrayContaining(config.resources.map((r) => r.name)));
    expect([full.prometheusMetrics, full.httpLiveness, full.stateDir]).toEqual([config.prometheusMetrics, config.httpLiveness, config.stateDir]);
  });

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
    const named = httpEndpoints(config).flatMap((e) => [e.usernameVar, e.passwordVar]).filter((v): v is string => v !== null);
    expect([...envNames].sort()).toEqual([...named].sort());
    const secrets = new Map(docs('secrets.yaml').map((s) => [at(s, 'metadata', 'name'), Object.keys(at(s, 'stringData') as object)]));
    for (const e of at(container, 'env') as { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[]) {
      expect(secrets.get(e.valueFrom.secretKeyRef.name), e.name).toContain(e.valueFrom.secretKeyRef.key);
    }
  });

  it('rbac.yaml grants exactly list/watch (no code path gets one object) on the configured resources, and binds it to the service account', () => {
    const config = loaded().config;
    const role = only('rbac.yaml', 'ClusterRole');
    expect(at(role, 'rules')).toEqual([{ apiGroups: [''], resources: config.resources.map((r) => r.name), verbs: ['list', 'watch'] }]);
    const binding = only('rbac.yaml', 'ClusterRoleBinding');
    expect(at(binding, 'roleRef', 'name')).toBe(at(role, 'metadata', 'name'));
    expect(at(binding, 'subjects', 0)).toEqual({ kind: 'ServiceAccount', name: 'watch-proxy', namespace: 'watch-proxy' });
  });

  it('echo.yaml serves the hosts the config sends to', () => {
    const hosts = httpEndpoints(loaded().config).map((e) => new URL(e.url).host).sort();
    const services = docs('echo.yaml').filter((d) => d['kind'] === 'Service');
    expect(services.map((s) => at(s, 'metadata', 'name')).sort()).toEqual(hosts);
    for (const s of services) expect(at(s, 'spec', 'ports', 0, 'port')).toBe(80);
  });

  it('kustomization.yaml lists every manifest but the reference config-full.yaml, the namespace first', () => {
    const kustomization = docs('kustomization.yaml')[0] as Doc;
    const resources = at(kustomization, 'resources') as string[];
    expect(resources[0]).toBe('namespace.yaml');
    expect([...resources].sort()).toEqual(manifestFiles.filter((name) => name !== 'config-full.yaml').sort());
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
