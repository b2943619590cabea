/**
 * `watch-proxy preview` over a file of sample objects (issue 15 item 6): per endpoint, what would be sent (with the
 * transformed data) and which rule drops the others; human lines and JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { PreviewReport } from '../../src/preview/preview-pipeline.js';
import { runPreview } from '../../src/preview/preview-command.js';
import { guessPlural } from '../../src/preview/sample-objects.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-preview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const CONFIG = write(
  'config.yaml',
  [
    'ignoreNamespaces: [kube-system]',
    'remoteEndpoints:',
    '- name: dns',
    '  url: http://127.0.0.1:1/dns',
    '  resourceTypes: [services]',
    '  filter: object.spec.type == "LoadBalancer"',
    '  transform: \'{"name": object.metadata.name, "ip": object.status.loadBalancer.ingress[0].ip, "port": object.spec.ports[0].port}\'',
    '- name: failed-jobs',
    '  url: http://127.0.0.1:1/jobs',
    '  filter: resource == "jobs" && object.?status.?failed.orValue(0) > 0',
    'resources:',
    '- name: services',
    '  filter: \'!("skip" in object.metadata.?labels.orValue({}))\'',
    '- name: jobs.batch',
    '',
  ].join('\n'),
);

// `kubectl get -o yaml` output: a List, then single documents.
const OBJECTS = write(
  'objects.yaml',
  [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- apiVersion: v1',
    '  kind: Service',
    '  metadata: {name: web, namespace: default, uid: u-web}',
    '  spec: {type: LoadBalancer, ports: [{port: 443}]}',
    '  status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}',
    '- apiVersion: v1',
    '  kind: Service',
    '  metadata: {name: internal, namespace: default, uid: u-internal}',
    '  spec: {type: ClusterIP, ports: [{port: 80}]}',
    '- apiVersion: v1',
    '  kind: Service',
    '  metadata: {name: pending, namespace: default, uid: u-pending}',
    '  spec: {type: LoadBalancer, ports: [{port: 80}]}',
    '  status: {loadBalancer: {}}',
    '- apiVersion: v1',
    '  kind: Service',
    '  metadata: {name: hidden, namespace: default, uid: u-hidden, labels: {skip: "yes"}}',
    '  spec: {type: LoadBalancer}',
    '- apiVersion: v1',
    '  kind: Service',
    '  metadata: {name: dns, namespace: kube-system, uid: u-kdns}',
    '  spec: {type: LoadBalancer}',
    '---',
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata: {name: backup, namespace: ops}',
    'status: {failed: 2}',
    '---',
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata: {name: ok, namespace: ops}',
    'status: {succeeded: 1}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: stray, namespace: ops}',
    '',
  ].join('\n'),
);

function capture(): { write: (text: string) => boolean; text: string } {
  const out = { text: '', write: (text: string) => ((out.text += text), true) };
  return out;
}

async function preview(args: { config?: string; objects?: string; json?: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runPreview({ config: args.config ?? CONFIG, objects: args.objects ?? OBJECTS, json: args.json, env: {}, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('watch-proxy preview --objects', () => {
  it('reports per endpoint what would be sent, with the transformed data, and the rule that drops each other object', async () => {
    const { code, stdout, stderr } = await preview({ json: true });
    expect(code).toBe(0);
    expect(stderr).toContain('ConfigMap stray: no configured resource watches it, ignored');
    const report = JSON.parse(stdout) as PreviewReport;
    expect(report.listed).toEqual({ services: 5, 'jobs.batch': 2 });
    const dns = report.endpoints.find((e) => e.name === 'dns')!;
    expect(dns.sent).toEqual([{ resource: 'services', key: 'services|default/web', event: 'add', data: { name: 'web', ip: '203.0.113.7', port: 443 } }]);
    const why = Object.fromEntries(dns.dropped.map((d) => [d.key, [d.reason, d.rule, d.detail]]));
    expect(why).toEqual({
      'services|default/hidden': ['filtered', 'resources.0.filter', 'false'],
      'services|default/internal': ['filtered', 'remoteEndpoints.0.filter', 'false'],
      'services|default/pending': ['filter-error', 'remoteEndpoints.0.transform', expect.stringMatching(/^error: /)],
      'services|kube-system/dns': ['ignored-namespace', undefined, undefined],
      'jobs.batch|ops/backup': ['not-routed', undefined, 'resourceTypes: services'],
      'jobs.batch|ops/ok': ['not-routed', undefined, 'resourceTypes: services'],
    });
    const jobs = report.endpoints.find((e) => e.name === 'failed-jobs')!;
    expect(jobs.sent.map((s) => s.key)).toEqual(['jobs.batch|ops/backup']);
    // Without a transform the data is the object as sent: pruned, redacted, uniqueId injected.
    expect(jobs.sent[0]?.data).toMatchObject({ metadata: { name: 'backup', uid: 'sample-6', uniqueId: '-sample-6' }, status: { failed: 2 } });
    expect(jobs.dropped.find((d) => d.key === 'jobs.batch|ops/ok')).toMatchObject({ reason: 'filtered', rule: 'remoteEndpoints.1.filter', detail: 'false' });
  });

  it('prints lines for people: sent objects with the transformed data, dropped ones with reason and rule', async () => {
    const { code, stdout } = await preview({});
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines).toContain('endpoint dns: 1 sent, 6 not sent');
    expect(lines).toContain('  + services default/web  {"name":"web","ip":"203.0.113.7","port":443}');
    expect(lines).toContain('  - services default/internal  remoteEndpoints.0.filter: false');
    expect(lines).toContain('  - services default/hidden  resources.0.filter: false');
    expect(lines).toContain('  - services kube-system/dns  ignored-namespace');
    // Without a transform, only the names (the objects are in --json).
    expect(lines).toContain('  + jobs.batch ops/backup');
  });

  it('refuses a bad expression like validate: file:line:col, exit 2', async () => {
    const bad = write('bad.yaml', 'resources:\n- name: services\n  filter: object.spec.type ==\n');
    const { code, stderr } = await preview({ config: bad });
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.yaml:3:30 resources\.0\.filter: invalid CEL filter: /);
  });

  it('says what is wrong with an objects file', async () => {
    const broken = write('broken.yaml', '- just\n- a list\n');
    const { code, stderr } = await preview({ objects: broken });
    expect(code).toBe(2);
    expect(stderr).toContain('document 1 is not a Kubernetes object');
    expect((await preview({ objects: join(dir, 'missing.yaml') })).stderr).toContain('missing.yaml: cannot read the file (ENOENT)');
  });

  it('guesses plurals as Kubernetes does without discovery', () => {
    expect(['Service', 'Ingress', 'NetworkPolicy', 'Gateway', 'Endpoints'].map(guessPlural)).toEqual(['services', 'ingresses', 'networkpolicies', 'gateways', 'endpointses']);
  });
});
