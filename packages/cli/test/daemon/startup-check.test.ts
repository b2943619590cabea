import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { formatDiagnostic, loadConfigFile } from '../../src/config/load-config.js';
import type { ConfigEnv } from '../../src/config/types.js';
import { checkStartup } from '../../src/startup-check.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-startup-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Loads `text` from a file with the daemon's start-up check; returns every error line. */
async function errorsOf(text: string, options: { dryRun?: boolean; env?: ConfigEnv } = {}): Promise<string[]> {
  const file = join(dir, `config-${String(++n)}.yaml`);
  writeFileSync(file, text);
  const env = options.env ?? {};
  const result = await loadConfigFile(file, { env, startupCheck: (config) => checkStartup(config, { dryRun: options.dryRun ?? false, ports: true, env }) });
  return result.ok ? [] : result.errors.map((e) => formatDiagnostic({ ...e, file: 'config.yaml' }));
}

const resources = 'resources:\n- name: pods\n';

// Each of these passed `validate` and then stopped the daemon (exit 2 without a position, or exit 1).
describe('the daemon\'s start-up checks, located in the file', () => {
  it('credentials in an endpoint URL', async () => {
    expect(await errorsOf(`remoteEndpoints:\n- url: https://user:secret@example.test/hook\n${resources}`)).toEqual([
      'config.yaml:2:8 remoteEndpoints.0.url: credentials in the URL are not supported; use usernameVar/passwordVar',
    ]);
  });

  it('a header whose env var value holds CR/LF, naming the header, never the value', async () => {
    const lines = await errorsOf(`remoteEndpoints:\n- url: http://127.0.0.1:1/\n  headers:\n    X-Token: "\${TOKEN}"\n${resources}`, {
      env: { TOKEN: 'abc\r\nInjected: yes' },
    });
    expect(lines).toEqual(['config.yaml:4:14 remoteEndpoints.0.headers.X-Token: the value of X-Token contains characters not allowed in HTTP headers (a newline?)']);
    expect(lines.join('\n')).not.toContain('Injected');
  });

  it('kafka and nats endpoints: their sinks are built (no broker contacted), empty credentials named where they are', async () => {
    const kafka = '- {type: kafka, brokers: ["127.0.0.1:1"], topic: t, tls: true, sasl: {mechanism: PLAIN, usernameVar: K_USER, passwordVar: K_PASS}}\n';
    const nats = '- {type: nats, url: "nats://127.0.0.1:1", tokenVar: N_TOKEN}\n';
    expect(await errorsOf(`remoteEndpoints:\n${kafka}${nats}${resources}`, { env: { K_USER: 'u', K_PASS: 'p', N_TOKEN: 't' } })).toEqual([]);
    const lines = await errorsOf(`remoteEndpoints:\n${kafka}${nats}${resources}`, { env: { K_USER: 'u', K_PASS: '\n', N_TOKEN: '' } });
    expect(lines).toEqual([
      'config.yaml:2:123 remoteEndpoints.0.sasl.passwordVar: environment variable K_PASS is empty',
      'config.yaml:3:53 remoteEndpoints.1.tokenVar: environment variable N_TOKEN is empty',
    ]);
  });

  it('a kafka SASL password file that is a directory', async () => {
    const lines = await errorsOf(
      `remoteEndpoints:\n- {type: kafka, brokers: ["127.0.0.1:1"], topic: t, tls: true, sasl: {mechanism: PLAIN, usernameVar: K_USER, passwordFile: ${dir}}}\n${resources}`,
      { env: { K_USER: 'u' } },
    );
    expect(lines).toEqual([`config.yaml:2:124 remoteEndpoints.0.sasl.passwordFile: file ${JSON.stringify(dir)}: is a directory, not a file`]);
  });

  it('an option of no endpoint key (a proxy variable) points at the endpoint with the whole message', async () => {
    const lines = await errorsOf(`remoteEndpoints:\n- url: https://hooks.example.test/\n${resources}`, { env: { HTTPS_PROXY: 'socks5://127.0.0.1:1' } });
    expect(lines).toEqual([expect.stringMatching(/^config\.yaml:2:3 remoteEndpoints\.0: HTTPS_PROXY: proxy scheme socks5: is not supported/)]);
  });

  it('a stateDir that is a file, or under one', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const endpoint = 'remoteEndpoints:\n- url: http://127.0.0.1:1/\n';
    expect(await errorsOf(`stateDir: ${file}\n${endpoint}${resources}`)).toEqual([`config.yaml:1:11 stateDir: ${file} is a file, not a folder`]);
    expect(await errorsOf(`stateDir: ${file}/state\n${endpoint}${resources}`)).toEqual([
      `config.yaml:1:11 stateDir: ${file}/state cannot be created: ${file} is a file`,
    ]);
    // Under --dry-run the daemon uses a private folder instead: not an error then.
    expect(await errorsOf(`stateDir: ${file}\n${endpoint}${resources}`, { dryRun: true })).toEqual([]);
  });

  it('a metrics or liveness port already in use', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      expect(await errorsOf(`prometheusMetrics:\n  port: ${String(port)}\nremoteEndpoints:\n- url: http://127.0.0.1:1/\n${resources}`)).toEqual([
        `config.yaml:2:9 prometheusMetrics.port: port ${String(port)} is already in use`,
      ]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('no endpoint: payloads would go to stdout, which only --dry-run asks for', async () => {
    expect(await errorsOf(`clusterName: c\n${resources}`)).toEqual([
      'config.yaml:1:1 remoteEndpoints: no endpoint is configured, so nothing would be delivered: add one, or run with --dry-run to print the payloads (whole objects) to stdout',
    ]);
    expect(await errorsOf(`clusterName: c\n${resources}`, { dryRun: true })).toEqual([]);
    // Nothing watched, nothing printed: a config with no resources may idle without endpoints.
    expect(await errorsOf('clusterName: c\n')).toEqual([]);
  });

  it('a config that passes them loads', async () => {
    expect(await errorsOf(`stateDir: ${join(dir, 'new', 'state')}\nremoteEndpoints:\n- url: http://127.0.0.1:1/\n${resources}`)).toEqual([]);
  });
});
