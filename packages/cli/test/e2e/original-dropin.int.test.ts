/**
 * The built daemon as a drop-in for the original, against a real apiserver and a loopback receiver: the
 * original's command line (glog flags) runs, the exec-probe file is kept, and `originalContent: true` sends what
 * the original sent.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { useE2eFile } from './harness.js';

/** Per test: a daemon start on a loaded 2-core machine takes several seconds. */
const E2E_TIMEOUT_MS = 180_000;

const file = useE2eFile('wp-dropin-e2e-');
const { dir, receiver } = file;
const daemon = file.daemon;


const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => file.cluster.requestOk(method, path, body);

describe("the original's command line on a real apiserver", () => {
  it('-logtostderr -v 2 (the original README\'s args) runs and delivers; the other glog flags are noted', async () => {
    const ns = 'dropin-flags';
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const echo = await receiver();
    const config = join(dir, 'flags.yaml');
    writeFileSync(config, `clusterName: c\nstateDir: ${join(dir, 'flags-state')}\nremoteEndpoints:\n- url: ${echo.url()}\nresources:\n- name: configmaps\n  namespaces: [${ns}]\n`);
    const d = daemon(['-logtostderr', '-v', '2', '-c', config, '-kubeconfig', file.cluster.kubeconfigPath]);
    await d.waitForLog('initial sync done');
    // The original's exec probe (`cat /watch-proxy/healthy`), here under stateDir: present while live.
    const healthy = join(dir, 'flags-state', 'healthy');
    await waitFor(() => existsSync(healthy), 'the exec-probe file');
    expect(readFileSync(healthy, 'utf8')).toBe('OK\n');
    await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-v2' }, data: { k: 'v' } });
    await waitFor(() => echo.about('after-v2').length > 0, 'the ConfigMap at the receiver');
    expect(echo.about('after-v2')[0]?.event).toBe('add');
    // -v 2 is glog's steady-state level: info, so no debug lines (pino level 20) and the process keeps running.
    expect(d.logs.some((line) => (line.level ?? 30) < 30)).toBe(false);
    expect(d.logs.some((line) => String(line.msg).includes("ignoring the original's glog flag -logtostderr"))).toBe(true);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(existsSync(healthy)).toBe(false);
  }, E2E_TIMEOUT_MS);

  it('originalContent: true sends the last-applied annotation, Secret data and managedFields as the original did', async () => {
    const ns = 'dropin-content';
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const echo = await receiver();
    const config = join(dir, 'content.yaml');
    writeFileSync(
      config,
      `clusterName: c\noriginalContent: true\nstateDir: ${join(dir, 'content-state')}\nremoteEndpoints:\n- url: ${echo.url()}\nresources:\n- name: secrets\n  namespaces: [${ns}]\n`,
    );
    const d = daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
    await d.waitForLog('initial sync done');
    const applied = '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"hunter2"}}';
    await must('POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied } },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
    await waitFor(() => echo.about('creds').length > 0, 'the Secret at the receiver');
    const sent = echo.about('creds')[0]!.data as unknown as { data: { password: string }; metadata: { annotations: Record<string, string>; managedFields?: unknown[] } };
    expect(Buffer.from(sent.data.password, 'base64').toString()).toBe('hunter2');
    expect(sent.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe(applied);
    expect(sent.metadata.managedFields?.length).toBeGreaterThan(0);
    // Secret values never reach the logs, whatever is sent.
    expect(d.stderr).not.toContain('hunter2');
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});
