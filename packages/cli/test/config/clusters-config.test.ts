import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { clusterChanges } from '../../src/cluster-changes.js';
import type { WatchProxyConfig } from '../../src/config/index.js';

function parse(text: string, checkEnvironment = false) {
  return parseConfig(text, 'config.yaml', { env: {}, checkEnvironment });
}

function config(text: string): WatchProxyConfig {
  const result = parse(text);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.config;
}

const dir = mkdtempSync(join(tmpdir(), 'wp-clusters-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'remote.kubeconfig');
writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: remote, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: reader, user: {token: secret-token-value}}]',
    'contexts: [{name: remote-reader, context: {cluster: remote, user: reader}}]',
    'current-context: remote-reader',
    '',
  ].join('\n'),
);

describe('clusters config', () => {
  it('is absent by default, with readiness over all clusters and removed clusters kept', () => {
    const c = config('resources: [{name: pods}]\n');
    expect(c.clusters).toBe(undefined);
    expect(c.clusterReadiness).toBe('all');
    expect(c.removedClusterObjects).toBe('keep');
  });

  it('reads clusters with their kubeconfig, context and metadata, and endpoints naming some', () => {
    const c = config(
      [
        'clusters:',
        '  - name: eu-1',
        '    kubeconfig: /etc/kubeconfigs/eu-1/kubeconfig',
        '    context: reader',
        '    metadata: {region: eu}',
        '  - name: local',
        '    kubeconfig: in-cluster',
        'clusterReadiness: any',
        'removedClusterObjects: delete',
        'remoteEndpoints:',
        '  - url: http://a.example/',
        '  - url: http://b.example/',
        '    clusters: [local]',
        'resources: [{name: pods}]',
        '',
      ].join('\n'),
    );
    expect(c.clusters).toEqual([
      { name: 'eu-1', kubeconfig: '/etc/kubeconfigs/eu-1/kubeconfig', context: 'reader', metadata: { region: 'eu' } },
      { name: 'local', kubeconfig: 'in-cluster' },
    ]);
    expect(c.remoteEndpoints.map((e) => e.clusters)).toEqual([undefined, ['local']]);
    expect(c.clusterReadiness).toBe('any');
    expect(c.removedClusterObjects).toBe('delete');
  });

  it.each([
    ['clusters:\n  - name: a\n  - name: a\n', 'clusters.1.name', 3, /duplicate cluster name "a" \(also clusters\.0\)/],
    ['clusters:\n  - name: "a b"\n', 'clusters.0.name', 2, /must be letters, digits/],
    ['clusters: []\n', 'clusters', 1, /at least one cluster/],
    ['clusterName: old\nclusters:\n  - name: a\n', 'clusterName', 1, /cannot be used with clusters/],
    ['clusters:\n  - name: prod\nremoteEndpoints:\n  - url: http://a.example/\n    clusters: [prd]\n', 'remoteEndpoints.0.clusters.0', 5, /"prd" is not in clusters \(did you mean "prod"\?\)/],
    ['remoteEndpoints:\n  - url: http://a.example/\n    clusters: [a]\n', 'remoteEndpoints.0.clusters.0', 3, /needs the top-level clusters list/],
    ['clusters:\n  - name: a\n    kubeconfig: x\n    server: y\n', 'clusters.0.server', 4, /./],
  ])('rejects %j at file:line:col', (text, path, line, message) => {
    const result = parseConfig(`${text}resources: [{name: pods}]\n`, 'config.yaml', { env: {}, checkEnvironment: false, strict: true });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    const found = errors.find((e) => e.path === path);
    expect(found, JSON.stringify(errors)).toBeDefined();
    expect(found?.message).toMatch(message);
    expect(found?.line).toBe(line);
    expect(found?.column).toBeGreaterThan(0);
  });

  it('checks each kubeconfig file and context, never echoing the file', () => {
    const text = [
      'clusters:',
      `  - name: ok`,
      `    kubeconfig: ${kubeconfig}`,
      `  - name: missing`,
      `    kubeconfig: ${join(dir, 'nope')}`,
      `  - name: badctx`,
      `    kubeconfig: ${kubeconfig}`,
      `    context: admin`,
      `  - name: local`,
      `    kubeconfig: in-cluster`,
      'resources: [{name: pods}]',
      '',
    ].join('\n');
    const result = parse(text, true);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['clusters.1.kubeconfig', 5],
      ['clusters.2.context', 8],
    ]);
    expect(errors[1]?.message).toMatch(/no context "admin" in .* \(it has "remote-reader"\)/);
    expect(JSON.stringify(errors)).not.toContain('secret-token-value');
  });
});

describe('clusterChanges', () => {
  const base = 'resources: [{name: pods}]\nclusters:\n';
  const a = '  - name: a\n    kubeconfig: /a\n';
  const b = '  - name: b\n    kubeconfig: /b\n';

  it('finds clusters added, removed and changed when nothing else changed', () => {
    expect(clusterChanges(config(base + a), config(base + a + b))).toEqual({ added: [{ name: 'b', kubeconfig: '/b' }], removed: [] });
    expect(clusterChanges(config(base + a + b), config(base + b))).toEqual({ added: [], removed: ['a'] });
    expect(clusterChanges(config(base + a), config(`${base}  - name: a\n    kubeconfig: /a2\n`))).toEqual({ added: [{ name: 'a', kubeconfig: '/a2' }], removed: ['a'] });
  });

  it('gives nothing when another key changed too, or without clusters', () => {
    expect(clusterChanges(config(base + a), config(`emitBatchMaxObjects: 5\n${base}${a}${b}`))).toBe(undefined);
    expect(clusterChanges(config('resources: [{name: pods}]\n'), config(base + a))).toBe(undefined);
    expect(clusterChanges(config(base + a), config(base + a))).toBe(undefined);
  });
});
