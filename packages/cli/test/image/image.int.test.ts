/**
 * The container image, built from the unchanged packages/cli/Dockerfile with podman (scripts/image/build.sh), run
 * the way a cluster runs it: read-only root filesystem, uid 10000, the kubeconfig mounted read-only, the
 * identity of a ServiceAccount holding only the rules `watch-proxy rbac` prints. `/ready` turns 200 and a change
 * reaches a loopback receiver; SIGTERM drains and exits 0; the production deploy carries no test tooling.
 * Needs podman: skipped (and counted) without it outside CI; in CI (.ci/run installs it) it must run.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { freePort } from '@watch-proxy/test-cluster/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import { accessPlan } from '../../src/rbac/access-rules.js';
import { waitFor } from '@watch-proxy/test-support';

import { Receiver } from '../e2e/harness.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const IMAGE = process.env['WATCH_PROXY_IMAGE'] ?? 'localhost/watch-proxy:dev';

async function hasPodman(): Promise<boolean> {
  try {
    await run('podman', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const podmanFound = await hasPodman();
if (!podmanFound && process.env['CI'] !== undefined) throw new Error('podman is missing: CI (.ci/run) installs it; the image must be built and run in CI');

/** podman with the containers.conf these VMs need (scripts/image/podman-env.sh). */
async function podman(args: readonly string[]): Promise<string> {
  const { stdout } = await run('bash', ['-c', `. "${root}scripts/image/podman-env.sh" && exec podman "$@"`, 'podman', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

describe.skipIf(!podmanFound)('the daemon image under podman', () => {
  let cluster: TestCluster;
  let receiver: Receiver;
  let container: ChildProcessWithoutNullStreams | undefined;
  let logs = '';
  const dir = mkdtempSync(join(tmpdir(), 'wp-image-'));

  beforeAll(async () => {
    // `pnpm image` builds first; CI's `pnpm test` builds here (cached: a no-op when nothing changed).
    const built = process.env['WATCH_PROXY_IMAGE_BUILT'] === '1' ? Promise.resolve() : run('bash', [`${root}scripts/image/build.sh`], { maxBuffer: 64 * 1024 * 1024, timeout: 0 });
    [cluster, receiver] = await Promise.all([startCluster(), new Receiver().listen(), built]).then(([c, r]) => [c, r] as const);
  }, 1_800_000);

  afterAll(async () => {
    container?.kill('SIGKILL');
    await podman(['rm', '-f', '--ignore', 'wp-image-smoke']).catch(() => '');
    await receiver?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries only the production deploy: no vitest, vite, rolldown or esbuild; runs as uid 10000', async () => {
    expect((await podman(['image', 'inspect', '--format', '{{.Config.User}}', IMAGE])).trim()).toBe('10000:10000');
    const store = await podman(['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app/node_modules/.pnpm']);
    expect(store).toContain('@kubernetes+client-node');
    expect(store.split('\n').filter((name) => /^(@vitest|vitest|vite|rolldown|@rolldown|esbuild|@esbuild|lightningcss)[@+]/.test(name))).toEqual([]);
  });

  it('runs read-only as uid 10000 with a mounted kubeconfig: /ready turns 200, a change reaches the receiver, SIGTERM exits 0', async () => {
    const ns = 'image-smoke';
    await cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const probePort = await freePort();
    const configText = [
      'remoteEndpoints:',
      `- url: ${receiver.url()}`,
      '  name: receiver',
      'httpLiveness:',
      `  port: ${String(probePort)}`,
      'resources:',
      '- name: configmaps',
      `  namespaces: [${ns}]`,
      '',
    ].join('\n');
    const parsed = parseConfig(configText, 'config.yaml', { checkEnvironment: false });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const plan = accessPlan(parsed.config);
    const rules = plan.watch.scope === 'namespaced' ? plan.watch.byNamespace.get(ns) : undefined;
    // The identity the image runs with holds the rules `watch-proxy rbac` prints for this config, and nothing else.
    const minted = await cluster.mintToken({ namespace: ns, serviceAccount: 'watch-proxy', rules: rules ?? [] });
    const ca = readFileSync(cluster.caFile).toString('base64');
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- {name: test, cluster: {server: "${cluster.server}", certificate-authority-data: ${ca}}}`,
      `users:\n- {name: sa, user: {token: "${minted.token}"}}`,
      'contexts:',
      `- {name: test, context: {cluster: test, user: sa, namespace: ${ns}}}`,
      'current-context: test',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'config.yaml'), configText, { mode: 0o644 });
    writeFileSync(join(dir, 'kubeconfig'), kubeconfig, { mode: 0o644 });
    // uid 10000 reads them through the bind mount.
    chmodSync(dir, 0o755);

    container = spawn(
      'bash',
      ['-c', `. "${root}scripts/image/podman-env.sh" && exec podman "$@"`, 'podman', 'run', '--rm', '--name', 'wp-image-smoke', '--network', 'host', '--read-only', '-v', `${dir}:/kube:ro`, IMAGE, '-c', '/kube/config.yaml', '--kubeconfig', '/kube/kubeconfig'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    container.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => container!.on('close', (code) => resolve(code)));

    const ready = async (): Promise<boolean> => (await fetch(`http://127.0.0.1:${String(probePort)}/ready`).catch(() => undefined))?.status === 200;
    await waitFor(ready, `/ready to answer 200\n--- container log ---\n${logs.slice(-4000)}`, 120_000, 250);
    await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-the-image', namespace: ns }, data: { k: 'v' } });
    await waitFor(() => receiver.about('from-the-image').some((i) => i.event === 'add'), `the change at the receiver\n--- container log ---\n${logs.slice(-4000)}`, 60_000);
    expect((await podman(['exec', 'wp-image-smoke', 'id', '-u'])).trim()).toBe('10000');
    await expect(podman(['exec', 'wp-image-smoke', 'touch', '/app/written'])).rejects.toThrow(/Read-only file system/);
    expect(logs).not.toContain('access check: may not');

    await podman(['stop', '-t', '30', 'wp-image-smoke']);
    expect(await exited).toBe(0);
    container = undefined;
  }, 300_000);
});
