import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DaemonRun } from './harness.js';
import { runBin, spawnBin } from './run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-cli-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, 'good.yaml');
writeFileSync(good, 'clusterName: c\nremoteEndpoints:\n- url: http://127.0.0.1:1/\nresources:\n- name: pods\n');
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'clusterName: c\nemitInterval: -1\nresources:\n- name: pods\n  assetId: [x]\n');
const emptyHome = join(dir, 'home');

/** No Node stack trace reached the user. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
}

// Each test spawns the built bin (about 1 s to start, several under a loaded CI): well past vitest's 5 s default.
describe('the watch-proxy command line', { timeout: 60_000 }, () => {
  it('--help shows flags and examples, exit 0', async () => {
    const { code, stdout } = await runBin(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--config', '--kubeconfig', '--log-level', '--log-format', '--dry-run', '--strict', '--liveness-stale-after', 'validate', 'Examples:']) {
      expect(stdout).toContain(flag);
    }
  });

  // Records every package the process resolves (import and require alike), printed when it exits.
  const recordImports = `data:text/javascript;base64,${Buffer.from(
    [
      "import { registerHooks } from 'node:module';",
      'const seen = new Set();',
      'registerHooks({ resolve(specifier, context, next) { seen.add(specifier); return next(specifier, context); } });',
      "process.on('exit', () => process.stderr.write(`imported: ${[...seen].join(' ')}\\n`));",
    ].join('\n'),
  ).toString('base64')}`;

  it('--version, --help, a usage error and validate of a config without clusters or brokers load no Kubernetes or broker client', async () => {
    for (const args of [['--version'], ['--help'], ['--bogus'], ['validate', '-c', good]]) {
      const { stderr } = await runBin(args, { NODE_OPTIONS: `--import=${recordImports}` });
      const imported = /^imported: (.*)$/m.exec(stderr)?.[1]?.split(' ') ?? [];
      expect(imported, args.join(' ')).toContain('commander');
      expect(imported.filter((s) => /^(@kubernetes\/client-node|@watch-proxy\/(kafka|nats)-sink)$/.test(s)), args.join(' ')).toEqual([]);
    }
  });

  it.each([['--version'], ['-V']])('%s prints the package version, exit 0', async (flag) => {
    const { code, stdout } = await runBin([flag]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  // The original's -v is glog's verbosity and takes a value: a bare -v no longer prints the version.
  it.each([
    [['-v'], /-v needs a value: glog's log verbosity/],
    [['-v', 'loud'], /invalid value "loud" for -v/],
  ])('%j is a usage error: exit 2, a message, no stack', async (args, message) => {
    const { code, stdout, stderr } = await runBin(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expectNoStack(stderr);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--log-format', 'xml'], /argument 'xml' is invalid/],
    [['unexpected'], /too many arguments/],
    [['--liveness-stale-after', 'soon'], /invalid duration "soon"/],
    [['--output', 'yaml'], /argument 'yaml' is invalid/],
  ])('%j is a usage error: exit 2, a message, no stack', async (args, message) => {
    const { code, stderr } = await runBin(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expectNoStack(stderr);
  });

  it('validate: exit 0 for a valid file, 2 with file:line:col lines for an invalid one', async () => {
    const ok = await runBin(['validate', '-c', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${good}: valid`);
    const ko = await runBin(['validate', '-c', bad]);
    expect(ko.code).toBe(2);
    expect(ko.stderr).toContain(`${bad}:2:15 emitInterval: must not be negative`);
    expect(ko.stderr).toMatch(new RegExp(`${bad}:5:12 resources\\.0\\.assetId: `));
  });

  // validate used to ignore a -c written before it and check /etc/watch-proxy/config.yaml instead.
  it('daemon flags before validate: -c, --strict and --dry-run apply to it; a daemon-only flag or two files are refused', async () => {
    const before = await runBin(['-c', bad, 'validate']);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(`${bad}:2:15 emitInterval: must not be negative`);
    expect((await runBin(['-c', good, 'validate'])).stdout).toContain(`${good}: valid`);

    const noEndpoint = join(dir, 'validate-dry-run.yaml');
    writeFileSync(noEndpoint, 'clusterName: c\nresources:\n- name: configmaps\n');
    expect((await runBin(['-c', noEndpoint, 'validate'])).code).toBe(2);
    expect((await runBin(['--dry-run', '-c', noEndpoint, 'validate'])).code).toBe(0);

    const typo = join(dir, 'validate-typo.yaml');
    writeFileSync(typo, 'clusterName: c\nxyzzyPlugh: x\nremoteEndpoints:\n- url: http://127.0.0.1:1/\nresources:\n- name: pods\n');
    expect((await runBin(['-c', typo, 'validate'])).code).toBe(0);
    expect((await runBin(['--strict', '-c', typo, 'validate'])).code).toBe(2);

    const daemonOnly = await runBin(['--kubeconfig', join(dir, 'absent'), 'validate', '-c', good]);
    expect(daemonOnly.code).toBe(2);
    expect(daemonOnly.stderr).toContain('--kubeconfig is a daemon flag, and validate does not take it');
    const twoFiles = await runBin(['-c', good, 'validate', '-c', bad]);
    expect(twoFiles.code).toBe(2);
    expect(twoFiles.stderr).toContain(`two config files given (-c ${good} before validate, -c ${bad} after it)`);
    expectNoStack(twoFiles.stderr);
  }, 240_000);

  // rbac and preview ignored a -c written before them and read /etc/watch-proxy/config.yaml instead.
  it('-c before rbac and preview applies to them; a daemon-only flag before them is refused', async () => {
    const rbac = await runBin(['-c', good, 'rbac']);
    expect(rbac.code).toBe(0);
    expect(rbac.stdout).toContain('kind: ClusterRole');
    const rbacBad = await runBin(['-c', bad, 'rbac']);
    expect(rbacBad.code).toBe(2);
    expect(rbacBad.stderr).toContain(`${bad}:2:15 emitInterval: must not be negative`);
    const previewBad = await runBin(['-c', bad, 'preview']);
    expect(previewBad.code).toBe(2);
    expect(previewBad.stderr).toContain(`${bad}:2:15 emitInterval: must not be negative`);
    const daemonOnly = await runBin(['--log-level', 'debug', 'rbac', '-c', good]);
    expect(daemonOnly.code).toBe(2);
    expect(daemonOnly.stderr).toContain('--log-level is a daemon flag, and rbac does not take it');
    const twoFiles = await runBin(['-c', good, 'preview', '-c', bad]);
    expect(twoFiles.code).toBe(2);
    expect(twoFiles.stderr).toContain(`two config files given (-c ${good} before preview, -c ${bad} after it)`);
  }, 240_000);

  // Output cut short by its reader (`watch-proxy --help | head -1`) crashed with an EPIPE stack trace.
  it.each([[['--help']], [['validate', '--print', '-c', good]]])('%j into a pipe closed before it writes: exit 0, nothing on stderr', async (args) => {
    const child = spawnBin(args);
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('the daemon refuses an invalid config before touching the cluster: exit 2, every error located', async () => {
    const { code, stderr } = await runBin(['-c', bad, '--kubeconfig', join(dir, 'absent')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}:2:15 emitInterval: must not be negative`);
    expect(stderr).toContain('nothing started');
    expectNoStack(stderr);
  });

  // Each of these hung for ever (a FIFO without a writer) or grew to gigabytes (/dev/zero) before this check.
  it('a config, TLS file or kubeconfig that is a FIFO or a device: a clear exit 2, at once', async () => {
    const pipe = join(dir, 'config.fifo');
    execFileSync('mkfifo', [pipe]);
    const fromFifo = await runBin(['-c', pipe, '--kubeconfig', join(dir, 'absent')], {}, 20_000);
    expect(fromFifo.code).toBe(2);
    expect(fromFifo.stderr).toContain(`${pipe}: is a FIFO (named pipe), not a regular file`);
    const validated = await runBin(['validate', '-c', '/dev/zero'], {}, 20_000);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toContain('/dev/zero: is a character device, not a regular file');

    const tls = join(dir, 'tls-zero.yaml');
    writeFileSync(tls, 'remoteEndpoints:\n- url: https://127.0.0.1:1/\n  tls:\n    caFile: /dev/zero\nresources:\n- name: pods\n');
    const zero = await runBin(['-c', tls, '--kubeconfig', join(dir, 'absent')], {}, 20_000);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain(`${tls}:4:13 remoteEndpoints.0.tls.caFile: file "/dev/zero": is a character device, not a regular file`);

    const kubePipe = join(dir, 'kubeconfig.fifo');
    execFileSync('mkfifo', [kubePipe]);
    const kube = await runBin(['-c', good, '--kubeconfig', kubePipe], {}, 20_000);
    expect(kube.code).toBe(2);
    expect(kube.stderr).toContain(`--kubeconfig ${kubePipe}: is a FIFO (named pipe), not a regular file`);
    expectNoStack(kube.stderr);
  });

  // validate said "valid" to each of these, and the daemon then exited 2 without a position, exited 1, or ran
  // with no endpoint printing objects to its log. Now both refuse them, located, with exit 2.
  it('validate and the daemon refuse the same files, located, exit 2: URL credentials, a CR/LF header, a typo, stateDir, a busy port', async () => {
    const write = (name: string, text: string): string => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const absent = join(dir, 'absent');
    const creds = write('creds.yaml', 'remoteEndpoints:\n- url: https://u:p@127.0.0.1:1/\nresources:\n- name: pods\n');
    const credsLine = `${creds}:2:8 remoteEndpoints.0.url: credentials in the URL are not supported; use usernameVar/passwordVar`;
    const validated = await runBin(['validate', '-c', creds]);
    expect([validated.code, validated.stderr]).toEqual([2, expect.stringContaining(credsLine)]);
    const started = await runBin(['-c', creds, '--kubeconfig', absent]);
    expect([started.code, started.stderr]).toEqual([2, expect.stringContaining(credsLine)]);

    const header = write('header.yaml', 'remoteEndpoints:\n- url: http://127.0.0.1:1/\n  headers:\n    X-Token: ${TOKEN}\nresources:\n- name: pods\n');
    const crlf = await runBin(['validate', '-c', header], { TOKEN: 'a\r\nInjected: 1' });
    expect(crlf.code).toBe(2);
    expect(crlf.stderr).toContain(`${header}:4:14 remoteEndpoints.0.headers.X-Token: the value of X-Token contains characters not allowed`);

    const typo = write('typo.yaml', 'remoteEndpoint:\n- url: http://127.0.0.1:1/\nresources:\n- name: configmaps\n');
    const typoRun = await runBin(['-c', typo, '--kubeconfig', absent]);
    expect(typoRun.code).toBe(2);
    expect(typoRun.stderr).toContain(`${typo}:1:1 remoteEndpoint: unknown key (did you mean "remoteEndpoints"?)`);

    const stateFile = write('state-file', 'x');
    const state = write('state.yaml', `stateDir: ${stateFile}\nremoteEndpoints:\n- url: http://127.0.0.1:1/\nresources:\n- name: pods\n`);
    const stateRun = await runBin(['-c', state, '--kubeconfig', absent]);
    expect(stateRun.code).toBe(2);
    expect(stateRun.stderr).toContain(`${state}:1:11 stateDir: ${stateFile} is a file, not a folder`);

    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = String((holder.address() as { port: number }).port);
    try {
      const busy = write('busy.yaml', `prometheusMetrics:\n  port: ${port}\nremoteEndpoints:\n- url: http://127.0.0.1:1/\nresources:\n- name: pods\n`);
      const busyRun = await runBin(['-c', busy, '--kubeconfig', absent]);
      expect(busyRun.code).toBe(2);
      expect(busyRun.stderr).toContain(`${busy}:2:9 prometheusMetrics.port: port ${port} is already in use`);
    } finally {
      holder.close();
    }
  }, 180_000);

  it('no endpoint and no --dry-run: exit 2 instead of printing objects to the log', async () => {
    const config = join(dir, 'no-endpoint.yaml');
    writeFileSync(config, 'clusterName: c\nresources:\n- name: configmaps\n');
    const { code, stderr, stdout } = await runBin(['-c', config, '--kubeconfig', join(dir, 'absent')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${config}:1:1 remoteEndpoints: no endpoint is configured, so nothing would be delivered: add one, or run with --dry-run`);
    expect(stdout).toBe('');
    const validated = await runBin(['validate', '--dry-run', '-c', config]);
    expect(validated.code).toBe(0);
  });

  it('a missing config file and a missing kubeconfig are usage errors (also the original -kubeconfig spelling)', async () => {
    const missing = await runBin(['-c', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: file not found');
    const noKube = await runBin(['-c', good, '-kubeconfig', join(dir, 'absent')]);
    expect(noKube.code).toBe(2);
    expect(noKube.stderr).toContain(`--kubeconfig ${join(dir, 'absent')}: file not found`);
    expectNoStack(noKube.stderr);
  });

  it('with no kubeconfig, KUBECONFIG, home config or service account: a clear exit 2', async () => {
    const { code, stderr } = await runBin(['-c', good], { HOME: emptyHome, KUBERNETES_SERVICE_HOST: undefined });
    expect(code).toBe(2);
    expect(stderr).toContain('no Kubernetes credentials found');
  });

  it('a malformed WATCH_PROXY_TEST_WATCHDOGS is a usage error: exit 2 before anything starts', async () => {
    const kubeconfig = join(dir, 'kubeconfig-watchdogs');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const { code, stderr } = await runBin(['-c', good, '--kubeconfig', kubeconfig], { WATCH_PROXY_TEST_WATCHDOGS: '{"idleTimeoutMs":-1}' });
    expect(code).toBe(2);
    expect(stderr).toContain('watch-proxy: WATCH_PROXY_TEST_WATCHDOGS: idleTimeoutMs must be a positive number of milliseconds (got -1)');
    expectNoStack(stderr);
  });

  it('with no resources it idles until SIGTERM (it does not exit on its own), then exits 0', async () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'clusterName: idle\n');
    // Never contacted: nothing is watched.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const d = new DaemonRun(['-c', empty, '--kubeconfig', kubeconfig]);
    try {
      await d.waitForLog('the config lists no resources: nothing is watched until it does', 1, 20_000);
      // Still running after its config watcher is set up: the process must not end by itself.
      let exitedEarly = false;
      void d.exited.then(() => (exitedEarly = true));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(exitedEarly).toBe(false);
      d.signal('SIGTERM');
      expect(await d.exited).toBe(0);
      expect(d.logged('exiting')[0]).toMatchObject({ exitCode: 0 });
    } finally {
      await d.kill();
    }
  });

  it('a reload while the API server is unreachable replaces the still-starting pipeline without failing the daemon', async () => {
    const config = join(dir, 'unreachable.yaml');
    writeFileSync(config, 'clusterName: one\nresources:\n- name: namespaces\n');
    const kubeconfig = join(dir, 'kubeconfig-unreachable');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const d = new DaemonRun(['-c', config, '--kubeconfig', kubeconfig, '--dry-run']);
    try {
      await d.waitForLog('starting the pipeline', 1, 20_000);
      writeFileSync(`${config}.tmp`, 'clusterName: two\nresources:\n- name: namespaces\n');
      renameSync(`${config}.tmp`, config);
      await d.waitForLog('config reloaded', 1, 20_000);
      await d.waitForLog('starting the pipeline', 2, 20_000);
      d.signal('SIGTERM');
      expect(await d.exited).toBe(0);
      expect(d.logged('the pipeline failed to start')).toEqual([]);
      expect(d.logged('initial sync done')).toEqual([]);
    } finally {
      await d.kill();
    }
  });
});
