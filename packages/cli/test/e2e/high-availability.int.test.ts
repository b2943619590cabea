/**
 * Issue 8's "Checked by" with the built daemon: two processes with leaderElection on a real apiserver, one
 * receiver that logs which process sent each request (an X-Sender header from each process's environment).
 * Short timings (3 s / 2 s / 0.5 s) keep failovers to seconds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { DaemonRun, Receiver } from './harness.js';

const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

let cluster: TestCluster;
const dir = mkdtempSync(join(tmpdir(), 'wp-ha-e2e-'));
const daemons: DaemonRun[] = [];
let receiver: Receiver;

beforeAll(async () => {
  cluster = await startCluster();
  receiver = await new Receiver().listen();
});

afterAll(async () => {
  for (const d of daemons) d.signal('SIGCONT');
  await Promise.all(daemons.map((d) => d.kill()));
  await receiver?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> =>
  cluster.requestOk(method, path, body);

/** Who sent each delivered request, in arrival order. */
const senders = (): string[] => receiver.requests.filter((r) => r.status === 200).map((r) => String(r.headers['x-sender']));

/** The receiver's picture: name -> data.value, replaying every delivered entry. */
function view(): Map<string, string> {
  const v = new Map<string, string>();
  for (const item of receiver.items()) {
    const name = item.data.metadata.name;
    if (item.event === 'delete') v.delete(name);
    else v.set(name, String((item.data['data'] as { value?: string } | undefined)?.value ?? ''));
  }
  return v;
}

describe('two daemons with leaderElection', () => {
  it('one sends; a frozen leader is replaced and sends nothing on thaw; a killed leader is replaced in time; the receiver converges with every delete', async () => {
    const watched = `ha-w-${Date.now().toString(36)}`;
    const home = `ha-h-${Date.now().toString(36)}`;
    for (const name of [watched, home]) await must('POST', '/api/v1/namespaces', { metadata: { name } });
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'leaderElection:',
        '  enabled: true',
        `  namespace: ${home}`,
        '  leaseDuration: 3s',
        '  renewDeadline: 2s',
        '  retryPeriod: 500ms',
        'emitInterval: 10ms',
        'remoteEndpoints:',
        `  - url: ${receiver.url()}`,
        '    headers:',
        '      X-Sender: "${SENDER}"',
        'resources:',
        '  - name: configmaps',
        `    namespaces: [${watched}]`,
        '',
      ].join('\n'),
    );
    const holder = async (): Promise<string> => {
      const res = await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${home}/leases/watch-proxy`);
      return res.status === 200 ? String((res.body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '') : '';
    };
    const start = (id: string): DaemonRun => {
      const d = new DaemonRun(['-c', config, '--kubeconfig', cluster.kubeconfigPath, '--log-level', 'info'], { SENDER: id, HOSTNAME: id });
      daemons.push(d);
      return d;
    };
    const cm = (name: string, value: string): unknown => ({ metadata: { name }, data: { value } });
    const expected = async (): Promise<Map<string, string>> => {
      const items = (await must('GET', `/api/v1/namespaces/${watched}/configmaps`))['items'] as { metadata: { name: string }; data?: { value?: string } }[];
      return new Map(items.filter((o) => o.metadata.name.startsWith('c')).map((o) => [o.metadata.name, o.data?.value ?? '']));
    };
    const converged = async (): Promise<boolean> => JSON.stringify([...view()].sort()) === JSON.stringify([...(await expected())].sort());

    const a = start('a');
    await waitFor(async () => /^a[-_]/.test(await holder()), 'a to hold the lease', 60_000, 50);
    const b = start('b');
    await b.waitForLog('watch-proxy running', 1, 60_000);
    for (let i = 0; i < 5; i++) await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, '0'));
    await waitFor(converged, 'the first five, from a', 30_000);
    expect(new Set(senders())).toEqual(new Set(['a']));

    // Freeze the leader past its lease: b takes over; on thaw a sends nothing.
    a.signal('SIGSTOP');
    await must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c0`);
    await must('PUT', `/api/v1/namespaces/${watched}/configmaps/c1`, cm('c1', '1'));
    await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm('c5', '0'));
    await waitFor(async () => /^b[-_]/.test(await holder()), 'b to take over from the frozen a', 30_000, 50);
    await waitFor(converged, 'convergence after b took over', 30_000);
    const atThaw = receiver.requests.length;
    a.signal('SIGCONT');
    await a.waitForLog('could not renew the lease in time: stopped delivering, now standby', 1, 30_000);
    for (let i = 6; i < 9; i++) await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, '0'));
    await waitFor(converged, 'convergence after the thaw', 30_000);
    expect(receiver.requests.slice(atThaw).filter((r) => r.headers['x-sender'] === 'a')).toEqual([]);

    // kill -9 the leader during a burst: a takes over within leaseDuration + 2 retry periods (+ slack).
    const burst: Promise<unknown>[] = [];
    for (let i = 9; i < 20; i++) burst.push(must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, '0')));
    burst.push(must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c2`));
    await Promise.all(burst.slice(0, 4));
    b.signal('SIGKILL');
    const killedAt = Date.now();
    burst.push(must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c3`));
    burst.push(must('PUT', `/api/v1/namespaces/${watched}/configmaps/c4`, cm('c4', '2')));
    await Promise.all(burst);
    await waitFor(async () => /^a[-_]/.test(await holder()), 'a to take over from the killed b', 30_000, 50);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs + 3000);
    await waitFor(converged, 'convergence after the kill', 30_000);
    for (const name of ['c0', 'c2', 'c3']) expect(receiver.about(name).some((item) => item.event === 'delete')).toBe(true);
    // One sender at a time: a, then b, then a again.
    expect(senders().join('').replace(/(.)\1+/g, '$1')).toBe('aba');
  }, 240_000);
});
