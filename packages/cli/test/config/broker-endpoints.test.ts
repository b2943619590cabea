import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';
import type { ConfigEnv, LoadConfigOptions, WatchProxyConfig } from '../../src/config/index.js';

const env: ConfigEnv = { KAFKA_USER: 'svc\n', KAFKA_PASSWORD: 's3cr3t-kafka\n', NATS_TOKEN: 's3cr3t-nats' };
const dir = mkdtempSync(join(tmpdir(), 'broker-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, options: LoadConfigOptions = {}): WatchProxyConfig {
  const result = parseConfig(`resources: [{name: configmaps}]\n${text}`, 'c.yaml', { env, strict: true, ...options });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  expect(result.warnings.map(formatDiagnostic)).toEqual([]);
  return result.config;
}

/** The formatted errors of `text` (which starts at line 1 with `remoteEndpoints:`). */
function errorsOf(text: string, options: LoadConfigOptions = {}): string[] {
  const result = parseConfig(text, 'bad.yaml', { env, strict: true, ...options });
  if (result.ok) throw new Error(`expected errors, the config loaded (warnings: ${result.warnings.map(formatDiagnostic).join('; ')})`);
  return result.errors.map(formatDiagnostic);
}

function warningsOf(text: string): string[] {
  const result = parseConfig(`resources: [{name: configmaps}]\n${text}`, 'c.yaml', { env, strict: true });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.warnings.map(formatDiagnostic);
}

describe('kafka endpoints in the config file', () => {
  it('loads the minimal form with every default, named after its topic', () => {
    const config = load('remoteEndpoints:\n- type: kafka\n  brokers: [127.0.0.1:9092]\n  topic: k8s.{resource}\n');
    expect(config.remoteEndpoints).toEqual([
      {
        name: 'kafka:k8s.{resource}',
        formerName: undefined,
        type: 'kafka',
        brokers: ['127.0.0.1:9092'],
        topic: 'k8s.{resource}',
        format: 'watch-proxy',
        createTopics: false,
        topicSettings: undefined,
        clientId: 'watch-proxy',
        tls: undefined,
        sasl: undefined,
        timeoutMs: 10_000,
        maxRecordBytes: 1_000_000,
        namespaces: [],
        resourceTypes: [],
        filter: undefined,
        updateFilter: undefined,
        transform: undefined,
      },
    ]);
  });

  it('keeps every option, and credentials only by name', () => {
    const config = load(
      [
        'remoteEndpoints:',
        '- type: kafka',
        '  name: inventory',
        '  brokers: [k-0:9093, "[::1]:9093"]',
        '  topic: inventory',
        '  format: cloudevents',
        '  createTopics: yes',
        '  topicSettings: {partitions: 3, replicationFactor: 1, config: {retention.ms: 1000}}',
        '  clientId: me',
        '  tls: {serverName: kafka.local}',
        '  sasl: {mechanism: SCRAM-SHA-256, usernameVar: KAFKA_USER, passwordVar: KAFKA_PASSWORD}',
        '  timeout: 30s',
        '  maxRecordBytes: 2048',
        '  namespaces: [prod]',
        '  resourceTypes: [configmaps]',
        '',
      ].join('\n'),
    );
    expect(config.remoteEndpoints[0]).toMatchObject({
      name: 'inventory',
      brokers: ['k-0:9093', '[::1]:9093'],
      format: 'cloudevents',
      createTopics: true,
      topicSettings: { partitions: 3, replicationFactor: 1, config: { 'retention.ms': '1000' } },
      clientId: 'me',
      timeoutMs: 30_000,
      maxRecordBytes: 2048,
      namespaces: ['prod'],
      resourceTypes: ['configmaps'],
    });
    // toEqual, not toMatchObject: an unset key is absent (undefined), which toMatchObject does not accept.
    const endpoint = config.remoteEndpoints[0];
    expect(endpoint?.type === 'kafka' && [endpoint.tls, endpoint.sasl]).toEqual([
      { caFile: undefined, certFile: undefined, keyFile: undefined, insecureSkipVerify: false, serverName: 'kafka.local' },
      { mechanism: 'SCRAM-SHA-256', usernameVar: 'KAFKA_USER', passwordVar: 'KAFKA_PASSWORD', passwordFile: undefined },
    ]);
    expect(JSON.stringify(config)).not.toContain('s3cr3t');
  });

  it('tls: true means TLS with the system roots', () => {
    const config = load('remoteEndpoints:\n- {type: kafka, brokers: ["k:9093"], topic: t, tls: true}\n');
    expect(config.remoteEndpoints[0]?.tls).toEqual({ caFile: undefined, insecureSkipVerify: false, serverName: undefined });
  });

  it('gives two endpoints on one topic distinct names', () => {
    const config = load('remoteEndpoints:\n- {type: kafka, brokers: ["a:1"], topic: t}\n- {type: kafka, brokers: ["b:1"], topic: t}\n');
    expect(config.remoteEndpoints.map((e) => e.name)).toEqual(['kafka:t', 'kafka:t#2']);
  });

  const bad = (extra: string): string => `remoteEndpoints:\n- type: kafka\n  brokers: [k:9092]\n  topic: t\n${extra}`;
  it.each([
    ['a broker without a port', 'remoteEndpoints:\n- type: kafka\n  brokers: [kafka-0]\n  topic: t\n', ['bad.yaml:3:13 remoteEndpoints.0.brokers.0: must be "host:port" (no scheme), e.g. "kafka-0.kafka:9092"']],
    ['a broker URL', 'remoteEndpoints:\n- type: kafka\n  brokers: ["kafka://k:9092"]\n  topic: t\n', ['bad.yaml:3:13 remoteEndpoints.0.brokers.0: must be "host:port" (no scheme), e.g. "kafka-0.kafka:9092"']],
    ['no brokers', 'remoteEndpoints:\n- type: kafka\n  brokers: []\n  topic: t\n', ['bad.yaml:3:12 remoteEndpoints.0.brokers: must list at least one broker ("host:port")']],
    ['no topic', 'remoteEndpoints:\n- type: kafka\n  brokers: [k:9092]\n', ['bad.yaml:2:3 remoteEndpoints.0.topic: is required']],
    [
      'a topic Kafka refuses',
      'remoteEndpoints:\n- type: kafka\n  brokers: [k:9092]\n  topic: k8s events\n',
      ['bad.yaml:4:10 remoteEndpoints.0.topic: is not a valid Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, plus {resource})'],
    ],
    ['an http url on a kafka endpoint', bad('  url: http://x/\n'), ['bad.yaml:5:3 remoteEndpoints.0.url: unknown key']],
    ['a misspelt kafka key', bad('  createTopic: true\n'), ['bad.yaml:5:3 remoteEndpoints.0.createTopic: unknown key (did you mean "createTopics"?)']],
    ['SASL without a password', bad('  sasl: {mechanism: PLAIN, usernameVar: KAFKA_USER}\n  tls: true\n'), ['bad.yaml:5:9 remoteEndpoints.0.sasl: needs the password: set passwordVar or passwordFile']],
    [
      'both SASL passwords',
      bad('  tls: true\n  sasl: {mechanism: PLAIN, usernameVar: KAFKA_USER, passwordVar: KAFKA_PASSWORD, passwordFile: /nope}\n'),
      [
        'bad.yaml:6:96 remoteEndpoints.0.sasl.passwordFile: file "/nope": file not found',
        'bad.yaml:6:96 remoteEndpoints.0.sasl.passwordFile: passwordVar and passwordFile are exclusive: set one',
      ],
    ],
    ['an unknown SASL mechanism', bad('  sasl: {mechanism: GSSAPI, usernameVar: KAFKA_USER, passwordVar: KAFKA_PASSWORD}\n'), ['bad.yaml:5:21 remoteEndpoints.0.sasl.mechanism: must be one of "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", got "GSSAPI"']],
    ['an unset SASL variable', bad('  tls: true\n  sasl: {mechanism: PLAIN, usernameVar: NOPE_USER, passwordVar: KAFKA_PASSWORD}\n'), ['bad.yaml:6:41 remoteEndpoints.0.sasl.usernameVar: environment variable NOPE_USER is not set']],
    ['a timeout beyond an hour', bad('  timeout: 2h\n'), ['bad.yaml:5:12 remoteEndpoints.0.timeout: must be at most 1h: one request that may hang longer holds back every later change to this endpoint']],
    ['a missing CA file', bad('  tls: {caFile: /nope/ca.crt}\n'), ['bad.yaml:5:17 remoteEndpoints.0.tls.caFile: file "/nope/ca.crt": file not found']],
    ['a certificate without its key', bad('  tls: {certFile: CERT}\n'.replace('CERT', join(dir, 'cert.pem'))), [`bad.yaml:5:19 remoteEndpoints.0.tls.certFile: certFile and keyFile must be set together`]],
  ])('%s', (_name, text, expected) => {
    writeFileSync(join(dir, 'cert.pem'), 'x');
    expect(errorsOf(text)).toEqual(expected);
  });

  it('warns about settings that do nothing or leak', () => {
    expect(warningsOf('remoteEndpoints:\n- {type: kafka, brokers: ["k:1"], topic: t, topicSettings: {partitions: 1}, sasl: {mechanism: PLAIN, usernameVar: KAFKA_USER, passwordVar: KAFKA_PASSWORD}}\n')).toEqual([
      'c.yaml:3:60 remoteEndpoints.0.topicSettings: warning: has no effect without createTopics: true',
      'c.yaml:3:95 remoteEndpoints.0.sasl.mechanism: warning: PLAIN sends the password in clear text without tls',
    ]);
  });
});

describe('nats endpoints in the config file', () => {
  it('format cloudevents reaches the endpoint (one structured CloudEvent per message)', () => {
    const config = load('remoteEndpoints:\n- type: nats\n  url: nats://127.0.0.1:4222\n  format: cloudevents\n');
    expect(config.remoteEndpoints[0]).toMatchObject({ type: 'nats', format: 'cloudevents' });
  });

  it('loads the minimal form: the default subject prefix gets the placeholders, named after the subject', () => {
    const config = load('remoteEndpoints:\n- type: nats\n  url: nats://127.0.0.1:4222\n');
    expect(config.remoteEndpoints).toEqual([
      {
        name: 'nats:watch-proxy.{cluster}.{resource}.{event}',
        formerName: undefined,
        type: 'nats',
        urls: ['nats://127.0.0.1:4222'],
        subject: 'watch-proxy.{cluster}.{resource}.{event}',
        format: 'watch-proxy',
        stream: 'WATCH_PROXY',
        createStream: false,
        kvBucket: undefined,
        createKvBucket: false,
        usernameVar: undefined,
        passwordVar: undefined,
        tokenVar: undefined,
        tls: undefined,
        timeoutMs: 10_000,
        namespaces: [],
        resourceTypes: [],
        filter: undefined,
        updateFilter: undefined,
        transform: undefined,
      },
    ]);
  });

  it('a prefix gets the placeholders, a template is kept; URL lists, KV bucket and token by name', () => {
    const config = load(
      [
        'remoteEndpoints:',
        '- {type: nats, url: [nats://a:4222, tls://b:4222], subject: k8s.prod, kvBucket: inventory, createKvBucket: true, tokenVar: NATS_TOKEN, tls: true}',
        '- {type: nats, name: t, url: nats://a:4222, subject: "x.{resource}.{event}", stream: X, createStream: true}',
        '',
      ].join('\n'),
    );
    expect(config.remoteEndpoints[0]).toMatchObject({
      urls: ['nats://a:4222', 'tls://b:4222'],
      subject: 'k8s.prod.{cluster}.{resource}.{event}',
      kvBucket: 'inventory',
      createKvBucket: true,
      tokenVar: 'NATS_TOKEN',
    });
    expect(config.remoteEndpoints[0]?.tls).toEqual({ caFile: undefined, certFile: undefined, keyFile: undefined });
    expect(config.remoteEndpoints[1]).toMatchObject({ name: 't', subject: 'x.{resource}.{event}', stream: 'X', createStream: true });
    expect(JSON.stringify(config)).not.toContain('s3cr3t');
  });

  const nats = (extra: string): string => `remoteEndpoints:\n- type: nats\n  url: nats://n:4222\n${extra}`;
  it.each([
    ['credentials in the URL', 'remoteEndpoints:\n- type: nats\n  url: nats://me:pw@n:4222\n', ['bad.yaml:3:8 remoteEndpoints.0.url: must not hold credentials: use usernameVar/passwordVar or tokenVar']],
    ['an http URL', 'remoteEndpoints:\n- type: nats\n  url: http://n:4222\n', ['bad.yaml:3:8 remoteEndpoints.0.url: must be a nats:// or tls:// URL, got http://']],
    ['no URL', 'remoteEndpoints:\n- type: nats\n', ['bad.yaml:2:3 remoteEndpoints.0.url: is required']],
    ['a wildcard subject', nats('  subject: a.*\n'), ['bad.yaml:4:12 remoteEndpoints.0.subject: is not a NATS subject (no spaces, empty tokens or wildcards)']],
    ['a bucket name with a dot', nats('  kvBucket: my.bucket\n'), ['bad.yaml:4:13 remoteEndpoints.0.kvBucket: must be 1-255 letters, digits, "-" or "_"']],
    ['an unknown format', nats('  format: xml\n'), ['bad.yaml:4:11 remoteEndpoints.0.format: must be one of "watch-proxy", "cloudevents", got "xml"']],
    ['a user without a password', nats('  usernameVar: KAFKA_USER\n'), ['bad.yaml:4:16 remoteEndpoints.0.usernameVar: needs passwordVar (the password of this user)']],
    [
      'a token and a user',
      nats('  usernameVar: KAFKA_USER\n  passwordVar: KAFKA_PASSWORD\n  tokenVar: NATS_TOKEN\n'),
      ['bad.yaml:6:13 remoteEndpoints.0.tokenVar: tokenVar and usernameVar/passwordVar are exclusive: set one'],
    ],
    ['an unset token variable', nats('  tokenVar: NOPE\n'), ['bad.yaml:4:13 remoteEndpoints.0.tokenVar: environment variable NOPE is not set']],
    ['a misspelt nats key', nats('  kvbucket: x\n'), ['bad.yaml:4:3 remoteEndpoints.0.kvbucket: unknown key (did you mean "kvBucket"?)']],
  ])('%s', (_name, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });
});

describe('endpoint types', () => {
  it('an unknown type names every type and still checks the rest of the entry as http', () => {
    expect(errorsOf('remoteEndpoints:\n- type: kafak\n  url: nope\n')).toEqual([
      'bad.yaml:2:9 remoteEndpoints.0.type: must be one of "http", "vro", "kafka", "nats", got "kafak" (did you mean "kafka"?)',
      'bad.yaml:3:8 remoteEndpoints.0.url: must be an absolute http:// or https:// URL',
    ]);
  });

  it('http, kafka and nats endpoints load side by side', () => {
    const config = load('remoteEndpoints:\n- url: http://r/\n- {type: kafka, brokers: ["k:1"], topic: t}\n- {type: nats, url: "nats://n:1"}\n');
    expect(config.remoteEndpoints.map((e) => [e.type, e.name])).toEqual([
      ['http', 'r-0e57b8fd'],
      ['kafka', 'kafka:t'],
      ['nats', 'nats:watch-proxy.{cluster}.{resource}.{event}'],
    ]);
  });
});
