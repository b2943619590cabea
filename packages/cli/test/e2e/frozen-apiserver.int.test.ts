// A frozen apiserver keeps its sockets open and answers nothing: no error ever reaches the daemon. Only the
// watcher's idle watchdog (150 s of silence from the moment the watch opened, by default) notices. The daemon here
// runs with short watchdog bounds (WATCH_PROXY_TEST_WATCHDOGS) so that this takes seconds, not minutes; the path
// is the same. The file has its own cluster, since freezing it would stall any test sharing it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { DaemonRun, parsePrometheusText } from './harness.js';

// Longer than the daemon needs from its first watch to the checks before the freeze (the stream is quiet: no
// bookmark is due for a minute), short enough that the frozen apiserver is noticed within seconds.
const IDLE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 2_000;

let cluster: TestCluster;
let dir: string;
let daemon: DaemonRun | undefined;

beforeAll(async () => {
  cluster = await startCluster();
  dir = mkdtempSync(join(tmpdir(), 'wp-frozen-'));
});

afterAll(async () => {
  cluster?.thawApiserver();
  await daemon?.kill();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('/live turns 503 while the apiserver is frozen past the bound, and 200 again after it thaws', async () => {
  const config = join(dir, 'config.yaml');
  // Metrics and probes on one port (0: any free one).
  writeFileSync(
    config,
    'clusterName: frozen\nprometheusMetrics:\n  port: 0\nhttpLiveness:\n  port: 0\nresources:\n- name: namespaces\n',
  );
  // No endpoint: payloads go to stdout, which a daemon prints only when told to (--dry-run).
  daemon = new DaemonRun(['-c', config, '--kubeconfig', cluster.kubeconfigPath, '--liveness-stale-after', '2s', '--dry-run'], {
    WATCH_PROXY_TEST_WATCHDOGS: JSON.stringify({ idleTimeoutMs: IDLE_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS }),
  });
  const port = (await daemon.waitForLog('serving metrics and probes'))['livenessPort'] as number;
  await daemon.waitForLog('initial sync done');
  const get = async (path: string): Promise<[number, string]> => {
    const res = await fetch(`http://127.0.0.1:${String(port)}${path}`);
    return [res.status, await res.text()];
  };
  expect(await get('/live')).toEqual([200, 'OK\n']);

  const watchdogAborts = async (): Promise<number> =>
    parsePrometheusText((await get('/metrics'))[1]).get('watch_proxy_watch_errors_total{resource="namespaces",kind="watchdog"}') ?? 0;
  expect(await watchdogAborts()).toBe(0);
  // No need to wait for a first bookmark: the idle watchdog runs from the moment the watch opened.

  cluster.freezeApiserver();
  try {
    // The idle watchdog, then reconnects that hang until the connect watchdog, then the 2 s bound.
    await waitFor(async () => (await get('/live'))[0] === 503, '/live to fail while the apiserver is frozen', 240_000, 1000);
    expect((await get('/live'))[1]).toMatch(/^Service Unavailable: no open watch for too long: namespaces/);
    // The series operators are told to watch: the silent stream and the hung reconnects are counted.
    expect(await watchdogAborts()).toBeGreaterThanOrEqual(1);
    // It was the idle watchdog with the bound the daemon was given that closed the silent stream.
    const idle = daemon.logged('idle watchdog aborted the request; retrying');
    expect(idle.map((line) => line['err'])).toContain(`watch stream silent (${String(IDLE_TIMEOUT_MS)} ms)`);
  } finally {
    cluster.thawApiserver();
  }
  await waitFor(async () => (await get('/live'))[0] === 200, '/live to pass again after the apiserver thaws', 120_000, 500);
  daemon.signal('SIGTERM');
  expect(await daemon.exited).toBe(0);
}, 600_000);
