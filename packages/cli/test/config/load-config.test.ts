import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';
import { resolveEndpointSecrets } from '../../src/config/resolve-secrets.js';
import type { LoadConfigOptions, WatchProxyConfig } from '../../src/config/types.js';
import { httpEndpoints } from './http-endpoints.js';

// The original's examples/watch-proxy-config.yaml, data."config.yaml", verbatim (spec section 2.5).
const originalExample = readFileSync(new URL('./fixtures/original-example.yaml', import.meta.url), 'utf8');
const originalEnv = { USERNAME1: 'user1\n', PASSWORD1: 'pass1\n', USERNAME2: 'user2\n', PASSWORD2: 'pass2\n' };

function load(text: string, options: LoadConfigOptions = {}): { config: WatchProxyConfig; warnings: string[] } {
  const result = parseConfig(text, 'config.yaml', { env: {}, ...options });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return { config: result.config, warnings: result.warnings.map(formatDiagnostic) };
}

describe('the original example config', () => {
  it('loads with no errors or warnings and the expected values', () => {
    const { config, warnings } = load(originalExample, { env: originalEnv });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      clusterName: 'dev-cluster',
      emitIntervalMs: 1000,
      emitBatchMaxObjects: 10,
      emitCacheDurationMs: 14_400 * 60_000,
      forceReuploadDurationMs: 500 * 3_600_000,
      delayAddEventDurationMs: 0,
      deltaUpdates: false,
      metadata: { platform: 'baremetal', region: 'east' },
      ignoreNamespaces: [],
      prometheusMetrics: { port: 9595, path: '/metrics' },
      httpLiveness: { port: 8080, path: '/live' },
    });
    expect(httpEndpoints(config).map((e) => [e.name, e.type, e.url, e.usernameVar, e.passwordVar, e.namespaces, e.resourceTypes])).toEqual([
      ['echo1-4931923c', 'http', 'http://echo1/watch-proxy', 'USERNAME1', 'PASSWORD1', ['tanzu-watch-proxy'], ['services']],
      ['echo2-84690a0c', 'http', 'http://echo2/watch-proxy', 'USERNAME2', 'PASSWORD2', [], []],
    ]);
    expect(config.resources.map((r) => [r.name, r.assetId, r.pruneFields.length, r.filterEvents])).toEqual([
      ['services', 'svc', 4, []],
      ['namespaces', 'ns', 4, []],
      // `assetId: no` is the string "no" in YAML 1.2, as it ended up in the original.
      ['nodes', 'no', 0, ['update']],
    ]);
  });

  it('applies the new keys\' defaults', () => {
    const { config } = load(originalExample, { env: originalEnv });
    expect(config.emitBatchMaxBytes).toBe(524_288);
    expect(config.rejectedRetryIntervalMs).toBe(300_000);
    expect(config.shutdownGracePeriodMs).toBe(10_000);
    expect(config.stateDir).toBeUndefined();
    const [first] = httpEndpoints(config);
    expect(first).toMatchObject({
      format: 'watch-proxy',
      timeoutMs: 5000,
      compression: 'none',
      headers: {},
      tls: { insecureSkipVerify: false },
    });
    // Unset keys are absent (undefined), which toMatchObject does not accept: checked with toEqual.
    expect([first?.successStatusCodes, first?.bearerTokenVar, first?.bearerTokenFile, first?.signingSecretVar, first?.tls]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      { caFile: undefined, certFile: undefined, keyFile: undefined, insecureSkipVerify: false },
    ]);
    expect(config.resources[0]).toMatchObject({ includeSecretData: false, includeManagedFields: false });
    const resource = config.resources[0];
    expect([resource?.labelSelector, resource?.fieldSelector, resource?.namespaces]).toEqual([undefined, undefined, undefined]);
  });

  it('fails when the credentials it names are missing, naming each variable', () => {
    const result = parseConfig(originalExample, 'config.yaml', { env: { USERNAME1: 'u', PASSWORD1: 'p' } });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      'config.yaml:28:16 remoteEndpoints.1.usernameVar: environment variable USERNAME2 is not set',
      'config.yaml:29:16 remoteEndpoints.1.passwordVar: environment variable PASSWORD2 is not set',
    ]);
  });

  it('skips env and file checks when asked (validating a file for another machine)', () => {
    expect(parseConfig(originalExample, 'config.yaml', { env: {}, checkEnvironment: false }).ok).toBe(true);
  });

  it('resolves credentials on demand, stripping one trailing newline', () => {
    const { config } = load(originalExample, { env: originalEnv });
    const [first] = httpEndpoints(config);
    if (first === undefined) throw new Error('no endpoint');
    expect(resolveEndpointSecrets(first, originalEnv)).toEqual({
      username: 'user1',
      password: 'pass1',
      bearerToken: null,
      signingSecret: null,
      headers: {},
    });
    expect(JSON.stringify(config)).not.toContain('pass1');
  });
});

describe('normalization', () => {
  it('gives defaults for an almost empty file', () => {
    const { config, warnings } = load('clusterName: c\n');
    expect(config).toEqual({
      clusterName: 'c',
      emitIntervalMs: undefined,
      emitBatchMaxObjects: 10,
      emitBatchMaxBytes: 524_288,
      emitCacheDurationMs: 0,
      forceReuploadDurationMs: 0,
      reconcileIntervalMs: 0,
      streamingList: true,
      delayAddEventDurationMs: 0,
      rejectedRetryIntervalMs: 300_000,
      shutdownGracePeriodMs: 10_000,
      deltaUpdates: false,
      originalContent: false,
      stateDir: undefined,
      metadata: undefined,
      ignoreNamespaces: [],
      clusters: undefined,
      clusterReadiness: 'all',
      clusterUid: false,
      removedClusterObjects: 'keep',
      remoteEndpoints: [],
      resources: [],
      leaderElection: undefined,
      stateStore: undefined,
      prometheusMetrics: undefined,
      httpLiveness: undefined,
    });
    expect(warnings).toEqual(['config.yaml:1:1 resources: warning: no resources configured: nothing will be watched']);
  });

  it('converts every duration to milliseconds, accepting emitInterval as seconds or a duration', () => {
    const { config } = load(
      'emitInterval: 2.5\nemitCacheDuration: 1h30m\nforceReuploadDuration: 1d\ndelayAddEventDuration: 300ms\nshutdownGracePeriod: 0\nremoteEndpoints:\n- url: https://r/x\n  timeout: 1.5s\nresources: [{name: pods}]\n',
    );
    expect([config.emitIntervalMs, config.emitCacheDurationMs, config.forceReuploadDurationMs, config.delayAddEventDurationMs, config.shutdownGracePeriodMs]).toEqual([
      2500, 5_400_000, 86_400_000, 300, 0,
    ]);
    expect(config.remoteEndpoints[0]?.timeoutMs).toBe(1500);
    expect(load('emitInterval: 250ms\nresources: [{name: pods}]\n').config.emitIntervalMs).toBe(250);
  });

  it('maps emitInterval absent, empty or 0 to adaptive batching (undefined), and keeps a set interval as it is', () => {
    for (const line of ['', 'emitInterval:\n', 'emitInterval: 0\n', 'emitInterval: 0s\n']) {
      expect(load(`${line}resources: [{name: pods}]\n`).config).toHaveProperty('emitIntervalMs', undefined);
    }
    expect(load('emitInterval: 1\nresources: [{name: pods}]\n').config.emitIntervalMs).toBe(1000);
    expect(load('emitInterval: 10ms\nresources: [{name: pods}]\n').config.emitIntervalMs).toBe(10);
  });

  it('treats `key:` with no value as absent, as yaml.v2 did', () => {
    const { config } = load('clusterName:\nmetadata:\nremoteEndpoints:\nresources:\n- name: pods\n  assetId:\n');
    expect([config.clusterName, config.metadata, config.remoteEndpoints, config.resources[0]?.assetId]).toEqual(['', undefined, [], '']);
  });

  it('keeps null, numbers, booleans and lists in metadata as written', () => {
    const { config } = load('metadata:\n  a: null\n  b: 3\n  c: true\n  d: [x, 1]\nresources: [{name: pods}]\n');
    expect(config.metadata).toEqual({ a: null, b: 3, c: true, d: ['x', 1] });
  });

  it('reads numbers and booleans in string keys as their text, like yaml.v2', () => {
    const { config } = load('clusterName: 2024\nresources:\n- name: pods\n  assetId: 42\nprometheusMetrics:\n  port: "9595"\n');
    expect([config.clusterName, config.resources[0]?.assetId, config.prometheusMetrics?.port]).toEqual(['2024', '42', 9595]);
  });

  it('disables a listener whose port is "" or unset', () => {
    const { config } = load('prometheusMetrics:\n  port: ""\nhttpLiveness:\n  path: /healthz\nresources: [{name: pods}]\n');
    expect([config.prometheusMetrics, config.httpLiveness]).toEqual([undefined, undefined]);
  });

  it('accepts YAML 1.1 booleans in boolean keys', () => {
    const { config } = load('deltaUpdates: yes\nresources:\n- name: secrets\n  includeSecretData: "on"\n  includeManagedFields: No\n');
    expect([config.deltaUpdates, config.resources[0]?.includeSecretData, config.resources[0]?.includeManagedFields]).toEqual([true, true, false]);
  });

  it('deltaUpdates: the top-level key is each HTTP endpoint\'s default, an endpoint\'s own key overrides it', () => {
    const { config } = load(
      'deltaUpdates: yes\nremoteEndpoints:\n- url: http://a/\n- url: http://b/\n  deltaUpdates: off\n- url: http://c/\n  deltaUpdates: true\nresources: [{name: pods}]\n',
    );
    expect(config.remoteEndpoints.map((e) => (e.type === 'http' ? e.deltaUpdates : undefined))).toEqual([true, false, true]);
    const plain = load('remoteEndpoints:\n- url: http://a/\n- url: http://b/\n  deltaUpdates: true\nresources: [{name: pods}]\n').config;
    expect(plain.remoteEndpoints.map((e) => (e.type === 'http' ? e.deltaUpdates : undefined))).toEqual([false, true]);
  });

  it('names endpoints by host and a hash of the URL, never its path or query (webhook tokens), and disambiguates repeats', () => {
    const { config } = load(
      'remoteEndpoints:\n- url: https://r.example/hooks/T0KEN?sig=S1G\n- url: https://r.example/x\n- url: http://other/\n  name: mine\n- url: https://r.example/x\n- url: https://r.example/hooks/T0KEN?sig=S1G\n',
    );
    const names = config.remoteEndpoints.map((e) => e.name);
    expect(names).toEqual([
      expect.stringMatching(/^r\.example-[0-9a-f]{8}$/),
      expect.stringMatching(/^r\.example-[0-9a-f]{8}$/),
      'mine',
      `${names[1] ?? ''}#2`,
      `${names[0] ?? ''}#2`,
    ]);
    expect(names[0]).not.toBe(names[1]);
    expect(names.join(' ')).not.toMatch(/hooks|T0KEN|S1G|\/x/);
    // What earlier versions called them, so their persisted state is found once after an upgrade.
    expect(config.remoteEndpoints.map((e) => e.formerName)).toEqual([
      'https://r.example/hooks/T0KEN',
      'https://r.example/x',
      undefined,
      'https://r.example/x#2',
      'https://r.example/hooks/T0KEN#2',
    ]);
  });

  it('accepts every new key', () => {
    const { config, warnings } = load(
      [
        'version: 1',
        'stateDir: /var/lib/watch-proxy',
        'emitBatchMaxBytes: 65536',
        'ignoreNamespaces: [kube-system]',
        'remoteEndpoints:',
        '- name: cmdb',
        '  url: https://cmdb.example/hook',
        '  bearerTokenVar: TOKEN',
        '  signingSecretVar: SIGNING',
        '  headers:',
        '    X-Api-Key: "k-${API_KEY}-$$"',
        '  tls: {insecureSkipVerify: true}',
        '  timeout: 10s',
        '  successStatusCodes: [200, 202]',
        '  compression: gzip',
        '  format: cloudevents',
        '  resourceTypes: [deployments]',
        'resources:',
        '- name: apps/v1/deployments',
        '  labelSelector: app=web',
        '  fieldSelector: metadata.name!=x',
        '  namespaces: [prod, staging]',
        '  includeManagedFields: true',
        '- name: certificates.cert-manager.io',
        '',
      ].join('\n'),
      { env: { TOKEN: 't', SIGNING: 's', API_KEY: 'key\n' } },
    );
    expect(warnings).toEqual(['config.yaml:12:29 remoteEndpoints.0.tls.insecureSkipVerify: warning: TLS certificate verification is disabled for this endpoint']);
    expect(config.stateDir).toBe('/var/lib/watch-proxy');
    expect(config.emitBatchMaxBytes).toBe(65_536);
    const [endpoint] = httpEndpoints(config);
    expect(endpoint).toMatchObject({
      name: 'cmdb',
      bearerTokenVar: 'TOKEN',
      signingSecretVar: 'SIGNING',
      headers: { 'X-Api-Key': 'k-${API_KEY}-$$' },
      tls: { insecureSkipVerify: true },
      timeoutMs: 10_000,
      successStatusCodes: [200, 202],
      compression: 'gzip',
      format: 'cloudevents',
    });
    if (endpoint === undefined) throw new Error('no endpoint');
    expect(resolveEndpointSecrets(endpoint, { TOKEN: 't\n', SIGNING: 's', API_KEY: 'key\n' })).toEqual({
      username: null,
      password: '',
      bearerToken: 't',
      signingSecret: 's',
      headers: { 'X-Api-Key': 'k-key-$' },
    });
    expect(config.resources[0]).toMatchObject({
      name: 'apps/v1/deployments',
      labelSelector: 'app=web',
      fieldSelector: 'metadata.name!=x',
      namespaces: ['prod', 'staging'],
      includeManagedFields: true,
    });
  });

  it('deep-freezes the result', () => {
    const { config } = load(originalExample, { env: originalEnv });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.remoteEndpoints[0]?.namespaces)).toBe(true);
    expect(Object.isFrozen(config.metadata)).toBe(true);
    expect(() => {
      (config.resources as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });
});

describe('warnings', () => {
  it('reports an unknown key that is no near-miss of a known one, and still loads', () => {
    const { config, warnings } = load('emitIntervalSeconds: 3\nresources:\n- name: pods\n  colour: red\nfooBar: 1\n');
    expect(warnings).toEqual([
      'config.yaml:1:1 emitIntervalSeconds: warning: unknown key, ignored',
      'config.yaml:4:3 resources.0.colour: warning: unknown key, ignored',
      'config.yaml:5:1 fooBar: warning: unknown key, ignored',
    ]);
    expect(config.emitIntervalMs).toBeUndefined();
  });

  // `remoteEndpoint:` (the original's pre-1.0 spelling) as a warning left the daemon with no endpoint, printing
  // every object to the pod log.
  it('makes a near-miss of a known key an error: case, up to 2 edits, singular/plural', () => {
    const result = parseConfig(
      'emitIntervall: 3\nremoteEndpoint:\n- url: http://r/\nresources:\n- name: pods\n  filterEvent: [add]\n  labelselector: a=b\nfooBar: 1\n',
      'config.yaml',
      { env: {} },
    );
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      'config.yaml:1:1 emitIntervall: unknown key (did you mean "emitInterval"?)',
      'config.yaml:2:1 remoteEndpoint: unknown key (did you mean "remoteEndpoints"?)',
      'config.yaml:6:3 resources.0.filterEvent: unknown key (did you mean "filterEvents"?)',
      'config.yaml:7:3 resources.0.labelselector: unknown key (did you mean "labelSelector"?)',
    ]);
    expect(result.warnings.map(formatDiagnostic)).toEqual(['config.yaml:8:1 fooBar: warning: unknown key, ignored']);
  });

  it('reports unknown keys and real errors together', () => {
    const result = parseConfig('emitIntervalSeconds: 3\nemitBatchMaxObjects: -2\nresources: [{name: pods}]\n', 'config.yaml', { env: {} });
    expect(result.ok).toBe(false);
    expect(result.warnings.map(formatDiagnostic)).toEqual(['config.yaml:1:1 emitIntervalSeconds: warning: unknown key, ignored']);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual(['config.yaml:2:22 emitBatchMaxObjects: must be at least 0']);
  });

  it('flags settings that do nothing', () => {
    const { warnings } = load(
      // Any regular file will do as the CA: it is only checked to be readable (/dev/null is a device, refused).
      `clusterName: c\nmetadata: {cluster: x}\nremoteEndpoints:\n- url: http://r/\n  region: us-east-1\n  passwordVar: P\n  tls: {caFile: ${fileURLToPath(new URL('./fixtures/original-example.yaml', import.meta.url))}}\n  resourceTypes: [service]\nresources: [{name: services}]\n`,
      { env: { P: 'p' } },
    );
    expect(warnings).toEqual([
      'config.yaml:2:21 metadata.cluster: warning: is replaced by clusterName in the payload\'s meta',
      'config.yaml:5:11 remoteEndpoints.0.region: warning: is only used by sqs endpoints, which are not supported; ignored',
      'config.yaml:6:16 remoteEndpoints.0.passwordVar: warning: has no effect without usernameVar',
      'config.yaml:7:8 remoteEndpoints.0.tls: warning: has no effect on an http:// URL',
      'config.yaml:8:19 remoteEndpoints.0.resourceTypes.0: warning: "service" matches none of the configured resources, so it routes nothing',
    ]);
  });
});

describe('YAML features', () => {
  it('supports anchors, merge keys and x- keys for them, locating merged values where they are written', () => {
    const text = [
      'x-endpoint: &endpoint',
      '  timeout: 2s',
      '  headers: {X-Team: infra}',
      'remoteEndpoints:',
      '- <<: *endpoint',
      '  url: http://a/',
      '- <<: *endpoint',
      '  url: http://b/',
      'resources: [{name: pods}]',
      '',
    ].join('\n');
    const { config, warnings } = load(text, { strict: true });
    expect(warnings).toEqual([]);
    expect(httpEndpoints(config).map((e) => [e.url, e.timeoutMs, e.headers])).toEqual([
      ['http://a/', 2000, { 'X-Team': 'infra' }],
      ['http://b/', 2000, { 'X-Team': 'infra' }],
    ]);
    const bad = parseConfig(text.replace('timeout: 2s', 'timeout: 2 s'), 'config.yaml', { env: {} });
    expect(bad.ok ? [] : bad.errors.map(formatDiagnostic)).toEqual([
      'config.yaml:2:12 remoteEndpoints.0.timeout: unknown unit " s" in duration "2 s"; expected a Go duration such as "300ms", "1h30m" or "7d"',
      'config.yaml:2:12 remoteEndpoints.1.timeout: unknown unit " s" in duration "2 s"; expected a Go duration such as "300ms", "1h30m" or "7d"',
    ]);
  });
});

describe('docs/configuration.md', () => {
  it('has a complete example that loads with no warnings', () => {
    const doc = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## A complete example'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const env = { CMDB_USERNAME: 'u', CMDB_PASSWORD: 'p', INVENTORY_SIGNING_SECRET: 's', INVENTORY_API_KEY: 'k' };
    // Its files (CA, token) exist only in the Deployment it describes.
    const { config, warnings } = load(yaml ?? '', { env, strict: true, checkEnvironment: false });
    expect(warnings).toEqual([]);
    expect(httpEndpoints(config).map((e) => [e.name, e.timeoutMs, e.compression, e.format])).toEqual([
      ['cmdb', 10_000, 'gzip', 'watch-proxy'],
      ['inventory', 10_000, 'gzip', 'cloudevents'],
    ]);
    expect(config.emitCacheDurationMs).toBe(7 * 86_400_000);
  });

  it('routes by plural.group without a warning', () => {
    const { warnings } = load('remoteEndpoints:\n- url: http://r/\n  resourceTypes: [deployments.apps, deployments]\nresources: [{name: apps/v1/deployments}]\n');
    expect(warnings).toEqual([]);
  });
});
