/**
 * CEL filters with the built daemon against a real apiserver (issue 15, "Checked by"): the article's DNS case,
 * `filter: object.spec.type == "LoadBalancer"` on Services. The receiver holds exactly the matching set as objects
 * enter and leave it by watch events, across a restart with changes made while the daemon was down, and across a
 * hot reload that changes the filter; `preview` shows the same set; `validate` refuses a bad expression with
 * file:line:col and exit 2.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { PreviewReport } from '../../src/preview/preview-pipeline.js';
import { waitFor } from '@watch-proxy/test-support';

import { useE2eFile } from './harness.js';
import type { DaemonRun, Receiver } from './harness.js';
import { runBin } from './run-bin.js';

const E2E_TIMEOUT_MS = 300_000;
const NS = 'cel-e2e';

const file = useE2eFile('wp-cel-e2e-');
const { dir } = file;

const LB = 'object.spec.type == "LoadBalancer"';

/** Writes the config atomically (as a ConfigMap update does), so the watcher never reads half a file. */
function writeConfig(url: string, filter: string): string {
  const path = join(dir, 'config.yaml');
  const text = [
    'clusterName: e2e',
    `stateDir: ${join(dir, 'state')}`,
    'remoteEndpoints:',
    `- url: ${url}`,
    '  name: dns',
    'resources:',
    '- name: services',
    `  namespaces: [${NS}]`,
    '  pruneFields: [metadata.resourceVersion, metadata.managedFields]',
    `  filter: '${filter}'`,
    '',
  ].join('\n');
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return path;
}

const must = (method: string, path: string, body?: unknown, contentType?: string): Promise<Record<string, unknown>> =>
  file.cluster.requestOk(method, path, body, contentType === undefined ? {} : { contentType });

function createService(name: string, type: string): Promise<unknown> {
  return must('POST', `/api/v1/namespaces/${NS}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { type, ports: [{ port: 80, targetPort: 8080 }] },
  });
}

function setType(name: string, type: string): Promise<unknown> {
  return must('PATCH', `/api/v1/namespaces/${NS}/services/${name}`, JSON.stringify({ spec: { type } }), 'application/merge-patch+json');
}

/** What the receiver holds: its payloads replayed in order (add/update set, delete removes), by name. */
function view(r: Receiver): Map<string, string> {
  const held = new Map<string, string>();
  for (const item of r.items()) {
    if (item.event === 'delete') held.delete(item.data.metadata.name);
    else held.set(item.data.metadata.name, (item.data['spec'] as { type: string }).type);
  }
  return held;
}

const names = (r: Receiver): string[] => [...view(r).keys()].sort();

function daemon(config: string): DaemonRun {
  return file.daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
}

describe('CEL filter on a real apiserver with the built daemon', () => {
  it('the receiver holds exactly the LoadBalancer Services: entering, leaving, restart with changes while down, reload', async () => {
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await createService('a', 'ClusterIP');
    await createService('b', 'LoadBalancer');
    const r = await file.receiver();
    const config = writeConfig(r.url(), LB);

    const first = daemon(config);
    await first.waitForLog('initial sync done');
    await waitFor(() => names(r).includes('b'), 'b delivered');
    // a was listed in the same list as b, so it would have come with it.
    expect(names(r)).toEqual(['b']);
    expect(r.about('a')).toEqual([]);

    await setType('a', 'LoadBalancer');
    await waitFor(() => names(r).includes('a'), 'a delivered once it became a LoadBalancer');
    expect(r.about('a').map((i) => i.event)).toEqual(['add']);

    await setType('b', 'ClusterIP');
    await waitFor(() => !names(r).includes('b'), 'b deleted once it stopped being a LoadBalancer');
    const deleteOfB = r.about('b').at(-1)!;
    // The delete carries the state the receiver last got: a LoadBalancer.
    expect([deleteOfB.event, (deleteOfB.data['spec'] as { type: string }).type]).toEqual(['delete', 'LoadBalancer']);
    expect(names(r)).toEqual(['a']);

    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    // While the daemon is down: a leaves the set, c enters it, d never does, b stays out.
    await setType('a', 'ClusterIP');
    await createService('c', 'LoadBalancer');
    await createService('d', 'ClusterIP');

    const second = daemon(config);
    await second.waitForLog('initial sync done');
    await waitFor(() => names(r).join() === 'c', `the receiver to hold exactly c (holds ${names(r).join()})`, 60_000);
    expect(r.about('d')).toEqual([]);
    expect(r.about('a').at(-1)?.event).toBe('delete');

    // preview against the same cluster shows the set the receiver holds, and why the others are out.
    const preview = await runBin(['preview', '-c', config, '--kubeconfig', file.cluster.kubeconfigPath, '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    const report = JSON.parse(preview.stdout) as PreviewReport;
    const dns = report.endpoints.find((e) => e.name === 'dns')!;
    expect(dns.sent.map((s) => s.key)).toEqual([`services|${NS}/c`]);
    expect(dns.dropped.map((d) => [d.key, d.rule, d.detail])).toEqual(
      ['a', 'b', 'd'].map((name) => [`services|${NS}/${name}`, 'resources.0.filter', 'false']),
    );

    // A hot reload that changes the filter: the set changes with it (deletes for what left, adds for what entered).
    writeConfig(r.url(), 'object.spec.type == "ClusterIP"');
    await second.waitForLog('config reloaded');
    await waitFor(() => names(r).join() === 'a,b,d', `the receiver to hold the ClusterIP Services (holds ${names(r).join()})`, 60_000);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('validate refuses a bad expression with file:line:col pointing into it, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, ['resources:', '- name: services', '  filter: |', '    object.spec.type ==', '      "LoadBalancer" &&', ''].join('\n'));
    const result = await runBin(['validate', '-c', bad, '--no-env-check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:5:24 resources.0.filter: invalid CEL filter: Unexpected token: EOF`);
  });
});
