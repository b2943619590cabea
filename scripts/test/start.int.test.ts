import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { startCluster } from '../../test/cluster/src/index.ts';

const START = fileURLToPath(new URL('../start.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wp-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cache build.sh uses, so a run with an empty HOME still finds the binaries the global setup built. */
const cache = process.env['WATCH_PROXY_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'watch-proxy');

/** `pnpm start` after its build step, as on a machine whose HOME has no kubeconfig (or `home` has one). */
class StartRun {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters: (() => void)[] = [];

  constructor(args: readonly string[], home: string) {
    this.child = spawn(process.execPath, [START, ...args], {
      env: { PATH: process.env['PATH'], HOME: home, WATCH_PROXY_CACHE: cache },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const wake = (): void => {
      for (const waiter of this.#waiters.splice(0)) waiter();
    };
    this.child.stdout.on('data', (chunk: Buffer) => ((this.stdout += chunk.toString()), wake()));
    this.child.stderr.on('data', (chunk: Buffer) => ((this.stderr += chunk.toString()), wake()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => (wake(), resolve(code))));
  }

  /** Resolves once `stream` matches `pattern`; fails with both streams after `timeoutMs`. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this[stream]);
      if (match !== null) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${String(pattern)} on ${stream}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1).unref();
      });
    }
  }
}

describe('pnpm start', { timeout: 300_000 }, () => {
  it('with no kubeconfig: starts the test apiserver, prints the sample objects changing, says how to change them, stops clean', async () => {
    const home = join(dir, 'empty-home');
    mkdirSync(home);
    const run = new StartRun(['--', '--output', 'text'], home);
    try {
      await run.waitFor('stderr', /first run: no kubeconfig found/);
      await run.waitFor('stdout', /^\S+ {2}delete {2}configmaps {4}watch-proxy-demo\/old-settings$/m);
      expect(run.stdout).toMatch(/^\S+ {2}add {5}configmaps {4}watch-proxy-demo\/greeting$/m);
      expect(run.stdout).toMatch(/^\S+ {2}add {5}services {6}watch-proxy-demo\/frontend$/m);
      expect(run.stdout).toMatch(/^\S+ {2}update {2}configmaps {4}watch-proxy-demo\/greeting {2}data\.message, metadata\.labels\.tier$/m);
      await run.waitFor('stdout', /^\S+ {2}update {2}deployments {3}watch-proxy-demo\/backend {2}spec\.replicas$/m);

      // The hint names a kubeconfig and a kubectl that work: a change made with them is printed.
      const [, kubeconfig] = await run.waitFor('stderr', /export KUBECONFIG=(\S+)/);
      const [, kubectl] = await run.waitFor('stderr', /^ {2}(\S+\/kubectl) -n watch-proxy-demo create configmap hello/m);
      expect(kubectl).toBe(join(dirname(kubeconfig ?? ''), 'bin', 'kubectl'));
      const created = spawn(kubectl ?? '', ['-n', 'watch-proxy-demo', 'create', 'configmap', 'hello', '--from-literal=greeting=hi'], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      expect(await new Promise((resolve) => created.on('close', resolve))).toBe(0);
      await run.waitFor('stdout', /^\S+ {2}add {5}configmaps {4}watch-proxy-demo\/hello$/m);

      run.child.kill('SIGTERM');
      expect(await run.exited, run.stderr).toBe(0);
      // The test apiserver went with it: its folder (data, kubeconfig) is removed.
      expect(existsSync(kubeconfig ?? '')).toBe(false);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('with ~/.kube/config: runs the daemon on it as before (no test apiserver), JSON payloads into a pipe', async () => {
    const cluster = await startCluster();
    const home = join(dir, 'home-with-kubeconfig');
    mkdirSync(join(home, '.kube'), { recursive: true });
    copyFileSync(cluster.kubeconfigPath, join(home, '.kube', 'config'));
    const run = new StartRun([], home);
    try {
      await cluster.requestOk('POST', '/api/v1/namespaces', { metadata: { name: 'start-with-kubeconfig' } });
      await run.waitFor('stdout', /"name":"start-with-kubeconfig"/);
      // Stopped only once everything listed was printed: a drain cut short under load would exit 1.
      await run.waitFor('stderr', /initial sync done/);
      const line = run.stdout.split('\n').find((l) => l.includes('start-with-kubeconfig')) ?? '';
      expect(JSON.parse(line)).toMatchObject({ data: expect.arrayContaining([expect.objectContaining({ event: 'add' })]) });
      expect(run.stderr).not.toContain('first run:');
      run.child.kill('SIGTERM');
      expect(await run.exited, run.stderr).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      await cluster.stop();
    }
  });
});
