import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { formatDiagnostic, loadConfigFile, parseConfig } from '../../src/config/load-config.js';
import type { LoadConfigOptions } from '../../src/config/types.js';

const env = { USERNAME1: 'user1\n', PASSWORD1: 'pass1\n', TOKEN: 't' };

/** Loads `text` as `bad.yaml` and returns the formatted errors (the config must be rejected). */
function errorsOf(text: string, options: LoadConfigOptions = {}): string[] {
  const result = parseConfig(text, 'bad.yaml', { env, ...options });
  if (result.ok) throw new Error(`expected errors, the config loaded (warnings: ${result.warnings.map(formatDiagnostic).join('; ')})`);
  return result.errors.map(formatDiagnostic);
}

const endpoint = (extra: string): string => `remoteEndpoints:\n- url: http://echo1/watch-proxy\n${extra}`;

// Each case: a name, the file's text, and the exact lines printed for it.
const cases: readonly (readonly [string, string, readonly string[]])[] = [
  ['a list where a string belongs', 'clusterName: [a, b]\n', ['bad.yaml:1:14 clusterName: expected a string, got a list']],
  ['a word where a number belongs', 'emitBatchMaxObjects: ten\n', ['bad.yaml:1:22 emitBatchMaxObjects: expected a whole number, got a string']],
  ['a fraction where a whole number belongs', 'emitBatchMaxObjects: 1.5\n', ['bad.yaml:1:22 emitBatchMaxObjects: expected a whole number, got the number 1.5']],
  ['a negative batch size', 'emitBatchMaxObjects: -1\n', ['bad.yaml:1:22 emitBatchMaxObjects: must be at least 0']],
  ['a zero byte limit', 'emitBatchMaxBytes: 0\n', ['bad.yaml:1:20 emitBatchMaxBytes: must be at least 1']],
  ['a negative emit interval', 'emitInterval: -1\n', ['bad.yaml:1:15 emitInterval: must not be negative']],
  [
    'a duration in words',
    'emitCacheDuration: 5 minutes\n',
    ['bad.yaml:1:20 emitCacheDuration: unknown unit " minutes" in duration "5 minutes"; expected a Go duration such as "300ms", "1h30m" or "7d"'],
  ],
  [
    'a duration without a unit',
    'forceReuploadDuration: 30\n',
    ['bad.yaml:1:24 forceReuploadDuration: missing unit in duration "30"; expected a Go duration such as "300ms", "1h30m" or "7d"'],
  ],
  [
    'a quoted duration without a unit',
    'forceReuploadDuration: "30"\n',
    ['bad.yaml:1:24 forceReuploadDuration: missing unit in duration "30"; expected a Go duration such as "300ms", "1h30m" or "7d"'],
  ],
  ['a negative duration', 'delayAddEventDuration: -5s\n', ['bad.yaml:1:24 delayAddEventDuration: must not be negative']],
  [
    'a list where a duration belongs',
    'shutdownGracePeriod: [1s]\n',
    ['bad.yaml:1:22 shutdownGracePeriod: expected a duration string, expected a Go duration such as "300ms", "1h30m" or "7d"'],
  ],
  ['a zero timeout', endpoint('  timeout: 0s\n'), ['bad.yaml:3:12 remoteEndpoints.0.timeout: must be greater than 0']],
  // Durations a Node timer cannot hold (over 24.8 days) used to pass and then fire at once.
  [
    'an endpoint timeout of 25 days',
    endpoint('  timeout: 25d\n'),
    ['bad.yaml:3:12 remoteEndpoints.0.timeout: must be at most 1h: one request that may hang longer holds back every later change to this endpoint'],
  ],
  [
    'a shutdown grace period of 30 days',
    'shutdownGracePeriod: 30d\n',
    ['bad.yaml:1:22 shutdownGracePeriod: must be at most 24h: a shutdown that may take longer than a day is a shutdown that hangs'],
  ],
  [
    'an emit interval of 10^12 seconds',
    'emitInterval: 1e12\n',
    ['bad.yaml:1:15 emitInterval: must be at most 24h (86400): changes would wait longer than a day to be sent'],
  ],
  [
    'a resync period of 400 days',
    'forceReuploadDuration: 400d\n',
    ['bad.yaml:1:24 forceReuploadDuration: must be at most 365d: a longer period is almost certainly a mistake'],
  ],
  [
    'a lease duration of 2 hours',
    'leaderElection:\n  enabled: true\n  leaseDuration: 2h\n',
    ['bad.yaml:3:18 leaderElection.leaseDuration: must be at most 1h: a leader election bound of more than an hour would leave no leader (or two) for that long'],
  ],
  [
    'a URL without a scheme',
    'remoteEndpoints:\n- url: echo1/watch-proxy\n',
    ['bad.yaml:2:8 remoteEndpoints.0.url: must be an absolute http:// or https:// URL'],
  ],
  ['an ftp URL', 'remoteEndpoints:\n- url: ftp://echo1/x\n', ['bad.yaml:2:8 remoteEndpoints.0.url: must be an absolute http:// or https:// URL']],
  ['an endpoint without a URL', 'remoteEndpoints:\n- type: http\n', ['bad.yaml:2:3 remoteEndpoints.0.url: is required']],
  ['unknown top-level key (strict)', 'emitIntervall: 3\n', ['bad.yaml:1:1 emitIntervall: unknown key (did you mean "emitInterval"?)']],
  [
    'unknown resource key (strict)',
    'resources:\n- name: pods\n  prunefields: [metadata.uid]\n',
    ['bad.yaml:3:3 resources.0.prunefields: unknown key (did you mean "pruneFields"?)'],
  ],
  [
    'unknown endpoint key without a close match (strict)',
    endpoint('  retries: 3\n'),
    ['bad.yaml:3:3 remoteEndpoints.0.retries: unknown key'],
  ],
  ['an env var that is not set', endpoint('  usernameVar: USERNAME9\n'), ['bad.yaml:3:16 remoteEndpoints.0.usernameVar: environment variable USERNAME9 is not set']],
  [
    'an env var referenced by a header that is not set',
    endpoint('  headers:\n    X-Api-Key: "${API_KEY}"\n'),
    ['bad.yaml:4:16 remoteEndpoints.0.headers.X-Api-Key: environment variable API_KEY is not set'],
  ],
  [
    'a malformed env var reference',
    endpoint('  headers:\n    X-Api-Key: "${}"\n'),
    ['bad.yaml:4:16 remoteEndpoints.0.headers.X-Api-Key: invalid environment variable reference "${}" (expected ${NAME}; write $$ for a literal $)'],
  ],
  [
    'a value where an env var name belongs',
    endpoint('  passwordVar: "s3cr3t!"\n'),
    ['bad.yaml:3:16 remoteEndpoints.0.passwordVar: must be an environment variable name (letters, digits and _, not starting with a digit)'],
  ],
  [
    'an sqs endpoint',
    'remoteEndpoints:\n- type: sqs\n  url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: us-east-1\n',
    ['bad.yaml:2:9 remoteEndpoints.0.type: sqs endpoints are out of scope and not supported; use an http endpoint (for example an HTTP-to-SQS bridge)'],
  ],
  [
    'a misspelt endpoint type',
    'remoteEndpoints:\n- type: htp\n  url: http://x/\n',
    ['bad.yaml:2:9 remoteEndpoints.0.type: must be one of "http", "vro", "kafka", "nats", got "htp" (did you mean "http"?)'],
  ],
  [
    'nested metadata',
    'metadata:\n  owner:\n    team: infra\n',
    ['bad.yaml:3:5 metadata.owner: metadata values must be strings, numbers, booleans or lists of them (nested mappings are not supported)'],
  ],
  [
    'a mapping inside a metadata list',
    'metadata:\n  tags:\n  - a\n  - {b: c}\n',
    ['bad.yaml:3:3 metadata.tags: metadata values must be strings, numbers, booleans or lists of them (nested mappings are not supported)'],
  ],
  ['an empty file', '', ['bad.yaml:1:1: the file is empty; expected a mapping of settings such as "resources:" and "remoteEndpoints:"']],
  [
    'a file with only comments',
    '# nothing here yet\n\n',
    ['bad.yaml:1:1: the file is empty; expected a mapping of settings such as "resources:" and "remoteEndpoints:"'],
  ],
  ['not YAML: an unclosed flow list', 'resources: [pods\n', ['bad.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['not YAML: a tab indentation', 'resources:\n\t- name: pods\n', ['bad.yaml:2:1: invalid YAML: Tabs are not allowed as indentation']],
  ['a list at the top level', '- name: pods\n- name: services\n', ['bad.yaml:1:1: the top level must be a mapping of settings, got a list']],
  ['a single word', 'watch-proxy\n', ['bad.yaml:1:1: the top level must be a mapping of settings, got a single value']],
  ['a duplicate key', 'emitInterval: 1\nclusterName: a\nemitInterval: 2\n', ['bad.yaml:3:1: duplicate key "emitInterval" (each key may appear once in a mapping)']],
  ['a port that is not a number', 'prometheusMetrics:\n  port: http\n', ['bad.yaml:2:9 prometheusMetrics.port: must be a port number from 0 to 65535']],
  ['a port out of range', 'httpLiveness:\n  port: 70000\n', ['bad.yaml:2:9 httpLiveness.port: must be a port number from 0 to 65535']],
  ['a path without a slash', 'httpLiveness:\n  port: 8080\n  path: live\n', ['bad.yaml:3:9 httpLiveness.path: must start with "/"']],
  [
    'a misspelt event',
    'resources:\n- name: nodes\n  filterEvents: [Update]\n',
    ['bad.yaml:3:18 resources.0.filterEvents.0: must be one of "add", "update", "delete", got "Update" (did you mean "update"?)'],
  ],
  [
    'a capitalized resource',
    'resources:\n- name: Services\n',
    [
      'bad.yaml:2:9 resources.0.name: must be a lower-case resource plural ("services"), "plural.group" ("certificates.cert-manager.io") or "group/version/plural" (did you mean "services"?)',
    ],
  ],
  ['a resource without a name', 'resources:\n- assetId: svc\n', ['bad.yaml:2:3 resources.0.name: is required']],
  ['resources as a mapping', 'resources:\n  services: {}\n', ['bad.yaml:2:3 resources: expected a list, got a mapping']],
  ['a duplicate resource', 'resources:\n- name: pods\n- name: pods\n', ['bad.yaml:3:9 resources.1.name: duplicate resource "pods" (also resources.0)']],
  [
    'an empty namespace list on a resource',
    'resources:\n- name: pods\n  namespaces: []\n',
    ['bad.yaml:3:15 resources.0.namespaces: must list at least one namespace (omit the key to watch all namespaces)'],
  ],
  ['a string where a boolean belongs', 'resources:\n- name: secrets\n  includeSecretData: always\n', ['bad.yaml:3:22 resources.0.includeSecretData: expected true or false, got a string']],
  [
    'a client certificate without its key',
    endpoint('  tls:\n    certFile: /etc/tls/client.crt\n'),
    [
      'bad.yaml:4:15 remoteEndpoints.0.tls.certFile: file "/etc/tls/client.crt": file not found',
      'bad.yaml:4:15 remoteEndpoints.0.tls.certFile: certFile and keyFile must be set together',
    ],
  ],
  [
    'basic auth and a bearer token together',
    endpoint('  usernameVar: USERNAME1\n  bearerTokenVar: TOKEN\n'),
    ['bad.yaml:4:19 remoteEndpoints.0.bearerTokenVar: basic auth (usernameVar) and a bearer token both set the Authorization header: set one'],
  ],
  [
    'a bearer token from a variable and from a file',
    endpoint('  bearerTokenVar: TOKEN\n  bearerTokenFile: /etc/token\n'),
    [
      'bad.yaml:4:20 remoteEndpoints.0.bearerTokenFile: file "/etc/token": file not found',
      'bad.yaml:4:20 remoteEndpoints.0.bearerTokenFile: bearerTokenVar and bearerTokenFile are exclusive: set one',
    ],
  ],
  [
    'an Authorization header beside basic auth',
    endpoint('  usernameVar: USERNAME1\n  headers:\n    Authorization: Basic x\n'),
    ['bad.yaml:5:20 remoteEndpoints.0.headers.Authorization: conflicts with usernameVar/bearerToken*, which set the Authorization header'],
  ],
  ['a status code out of range', endpoint('  successStatusCodes: [200, 700]\n'), ['bad.yaml:3:29 remoteEndpoints.0.successStatusCodes.1: must be at most 599']],
  [
    'cloudevents on a vro endpoint',
    'remoteEndpoints:\n- type: vro\n  url: https://vro/x\n  format: cloudevents\n',
    ['bad.yaml:4:11 remoteEndpoints.0.format: vro endpoints always use the watch-proxy format'],
  ],
  [
    'the ConfigMap manifest instead of its content',
    'kind: ConfigMap\napiVersion: v1\ndata:\n  config.yaml: |-\n    clusterName: x\n',
    ['bad.yaml:1:1: this is a Kubernetes ConfigMap manifest, not a watch-proxy config: use the config.yaml inside its data (mounted as /etc/watch-proxy/config.yaml)'],
  ],
  [
    'a missing env var next to a shape error, both reported',
    'emitInterval: soon\nremoteEndpoints:\n- url: http://r/\n  usernameVar: USERNAME9\n',
    [
      'bad.yaml:1:15 emitInterval: invalid duration "soon"; expected a Go duration such as "300ms", "1h30m" or "7d"',
      'bad.yaml:4:16 remoteEndpoints.0.usernameVar: environment variable USERNAME9 is not set',
    ],
  ],
  [
    'several problems at once, all reported in file order',
    'emitInterval: soon\nclusterName: {a: 1}\nremoteEndpoints:\n- url: nope\n  type: sqs\n',
    [
      'bad.yaml:1:15 emitInterval: invalid duration "soon"; expected a Go duration such as "300ms", "1h30m" or "7d"',
      'bad.yaml:2:14 clusterName: expected a string, got a mapping',
      'bad.yaml:4:8 remoteEndpoints.0.url: must be an absolute http:// or https:// URL',
      'bad.yaml:5:9 remoteEndpoints.0.type: sqs endpoints are out of scope and not supported; use an http endpoint (for example an HTTP-to-SQS bridge)',
    ],
  ],
];

describe('bad configs', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', (_name, text, expected) => {
    expect(errorsOf(text, { strict: true })).toEqual(expected);
  });

  it('never prints a stack trace or an env var value', () => {
    const secretEnv = { ...env, USERNAME1: 'hunter2-user', PASSWORD1: 'hunter2-pass' };
    for (const [, text] of cases) {
      const result = parseConfig(text, 'bad.yaml', { env: secretEnv, strict: true });
      const printed = result.ok ? '' : result.errors.map(formatDiagnostic).join('\n');
      expect(printed).not.toMatch(/\n\s+at |hunter2/);
    }
  });
});

describe('files that cannot be read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watch-proxy-config-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a missing file without a position', async () => {
    const file = join(dir, 'missing.yaml');
    const result = await loadConfigFile(file);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([`${file}: file not found`]);
  });

  it('reports a directory', async () => {
    const result = await loadConfigFile(dir);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([`${dir}: is a directory, not a file`]);
  });

  it('reads a file and names it in messages', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'emitInterval: x\n');
    const result = await loadConfigFile(file);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      `${file}:1:15 emitInterval: invalid duration "x"; expected a Go duration such as "300ms", "1h30m" or "7d"`,
    ]);
  });

  // A FIFO with no writer blocked the daemon for ever; /dev/zero and a 50 MB file filled memory before any error.
  it('refuses a FIFO, a device and a file over 1 MiB as the config, at once', async () => {
    const pipe = join(dir, 'config.fifo');
    execFileSync('mkfifo', [pipe]);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `clusterName: x\n#${'x'.repeat(1024 * 1024)}\n`);
    const messages = async (file: string): Promise<string[]> => {
      const result = await loadConfigFile(file);
      return result.ok ? [] : result.errors.map(formatDiagnostic);
    };
    expect(await messages(pipe)).toEqual([`${pipe}: is a FIFO (named pipe), not a regular file`]);
    expect(await messages('/dev/zero')).toEqual(['/dev/zero: is a character device, not a regular file']);
    expect(await messages(big)).toEqual([`${big}: is larger than the limit of 1 MiB`]);
  });

  it('reports a TLS file or token file that is a device or a FIFO, by key and path', () => {
    const pipe = join(dir, 'token.fifo');
    execFileSync('mkfifo', [pipe]);
    const result = parseConfig(endpoint(`  bearerTokenFile: ${pipe}\n  tls:\n    caFile: /dev/zero\n`), 'bad.yaml', { env });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      `bad.yaml:3:20 remoteEndpoints.0.bearerTokenFile: file ${JSON.stringify(pipe)}: is a FIFO (named pipe), not a regular file`,
      'bad.yaml:5:13 remoteEndpoints.0.tls.caFile: file "/dev/zero": is a character device, not a regular file',
    ]);
  });

  it('reports a missing TLS file by its path', () => {
    const missing = join(dir, 'nope.pem');
    const result = parseConfig(endpoint(`  tls:\n    caFile: ${missing}\n`), 'bad.yaml', { env });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      `bad.yaml:4:13 remoteEndpoints.0.tls.caFile: file ${JSON.stringify(missing)}: file not found`,
    ]);
  });
});

describe('size of the resources list', () => {
  // 10,000 entries took 2.4 GB, each with its own watch and discovery walk.
  it('refuses more than 1,000 resources with the reason, and accepts 1,000', () => {
    const list = (n: number): string => `resources:\n${Array.from({ length: n }, (_, i) => `- name: r${String(i)}s\n`).join('')}`;
    expect(errorsOf(list(1001))).toEqual([
      'bad.yaml:2:1 resources: must list at most 1000 resources: each is its own watch connection to the apiserver and its own object store; watch fewer, or split the list across several watch-proxy instances',
    ]);
    expect(parseConfig(list(1000), 'ok.yaml', { env }).ok).toBe(true);
  });
});

describe('hostile YAML', () => {
  it('rejects an alias explosion without hanging or throwing', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`${'bcdefghij'[i] ?? ''}: &${'bcdefghij'[i] ?? ''} [${Array.from({ length: 10 }, () => `*${'abcdefghij'[i] ?? ''}`).join(', ')}]`);
    const result = parseConfig(`${lines.join('\n')}\n`, 'bad.yaml', { env });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      'bad.yaml:1:1: invalid YAML: Excessive alias count indicates a resource exhaustion attack',
    ]);
  });
});
