/**
 * Builds the sinks of `type: kafka` and `type: nats` endpoints: credentials are read here, from the env vars and
 * files the config names, and handed to the sink only (never to the config, which is logged and diffed). Errors
 * are `ConfigError`s whose `option` (`sasl.passwordFile`) lets `validate` point at its line; they name a variable or
 * a file, never a value.
 */
import { resolve } from 'node:path';

import { ConfigError } from '@watch-proxy/core';
import type { Logger } from '@watch-proxy/core';
import { MAX_TLS_FILE_BYTES, MAX_TOKEN_FILE_BYTES, readBoundedFileSync } from '@watch-proxy/http-sink';
import type * as KafkaSinkPackage from '@watch-proxy/kafka-sink';
import type { KafkaSink, KafkaTlsOptions } from '@watch-proxy/kafka-sink';
import type * as NatsSinkPackage from '@watch-proxy/nats-sink';
import type { NatsSink, NatsTlsOptions } from '@watch-proxy/nats-sink';

import { readEnvSecret } from './config/index.js';
import type { ConfigEnv, KafkaEndpointConfig, NatsEndpointConfig, RemoteEndpointConfig } from './config/index.js';

let kafkaPackage: typeof KafkaSinkPackage | undefined;
let natsPackage: typeof NatsSinkPackage | undefined;

/**
 * Imports the broker sink packages that `endpoints` use, once per process. Their clients cost start-up time
 * (Kafka's ~0.7 s, NATS's ~0.2 s) that a daemon without such endpoints, `--help` and `validate` should not pay, so
 * nothing imports them statically. Must have resolved before `createKafkaEndpointSink` / `createNatsEndpointSink`.
 */
export async function loadBrokerSinks(endpoints: readonly RemoteEndpointConfig[]): Promise<void> {
  if (endpoints.some((e) => e.type === 'kafka')) kafkaPackage ??= await import('@watch-proxy/kafka-sink');
  if (endpoints.some((e) => e.type === 'nats')) natsPackage ??= await import('@watch-proxy/nats-sink');
}

function loaded<T>(pkg: T | undefined, name: string): T {
  if (pkg === undefined) throw new Error(`internal error: ${name} used before loadBrokerSinks()`);
  return pkg;
}

/** What a broker sink needs besides its endpoint: where credentials are read, the cluster's name, the logger. */
export interface BrokerSinkContext {
  readonly env: ConfigEnv;
  readonly clusterName: string;
  readonly logger: Logger;
}

/** An env var's value (one trailing newline stripped); throws a `ConfigError` about `option` naming it when unset or empty. */
function envValue(env: ConfigEnv, option: string, name: string): string {
  const value = readEnvSecret(env, name);
  if (value === undefined) throw new ConfigError(option, `environment variable ${name} is not set`);
  if (value === '') throw new ConfigError(option, `environment variable ${name} is empty`);
  return value;
}

/** A bounded regular file as text; throws a `ConfigError` about `option`: `file "<path>": <why>`. Relative paths are cwd-relative. */
function fileText(option: string, path: string, maxBytes: number): string {
  try {
    return readBoundedFileSync(resolve(path), maxBytes).toString('utf8');
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    throw new ConfigError(option, `file ${JSON.stringify(path)}: ${typeof reason === 'string' ? reason : 'cannot read file'}`, { cause: error });
  }
}

function pem(option: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : fileText(option, path, MAX_TLS_FILE_BYTES);
}

function kafkaTls(tls: KafkaEndpointConfig['tls']): boolean | KafkaTlsOptions {
  if (tls === undefined) return false;
  const ca = pem('tls.caFile', tls.caFile);
  const cert = pem('tls.certFile', tls.certFile);
  const key = pem('tls.keyFile', tls.keyFile);
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  };
}

/** The Kafka sink of one endpoint. Throws for an unset credential variable, an unreadable file or a refused option. */
export function createKafkaEndpointSink(endpoint: KafkaEndpointConfig, context: BrokerSinkContext): KafkaSink {
  const { sasl, topicSettings } = endpoint;
  return loaded(kafkaPackage, 'the Kafka sink').createKafkaSink({
    name: endpoint.name,
    brokers: endpoint.brokers,
    topic: endpoint.topic,
    format: endpoint.format,
    clusterName: context.clusterName,
    createTopics: endpoint.createTopics,
    topicSettings: {
      ...(topicSettings?.partitions === undefined ? {} : { partitions: topicSettings.partitions }),
      ...(topicSettings?.replicationFactor === undefined ? {} : { replicationFactor: topicSettings.replicationFactor }),
      ...(topicSettings?.config === undefined ? {} : { config: topicSettings.config }),
    },
    clientId: endpoint.clientId,
    tls: kafkaTls(endpoint.tls),
    ...(sasl === undefined
      ? {}
      : {
          sasl: {
            mechanism: sasl.mechanism,
            username: envValue(context.env, 'sasl.usernameVar', sasl.usernameVar),
            password:
              sasl.passwordFile !== undefined
                ? fileText('sasl.passwordFile', sasl.passwordFile, MAX_TOKEN_FILE_BYTES).replace(/\r?\n$/, '')
                : envValue(context.env, 'sasl.passwordVar', sasl.passwordVar ?? ''),
          },
        }),
    requestTimeoutMs: endpoint.timeoutMs,
    maxRecordBytes: endpoint.maxRecordBytes,
    logger: context.logger,
  });
}

function natsTls(tls: NatsEndpointConfig['tls']): boolean | NatsTlsOptions | undefined {
  if (tls === undefined) return undefined;
  const ca = pem('tls.caFile', tls.caFile);
  const cert = pem('tls.certFile', tls.certFile);
  const key = pem('tls.keyFile', tls.keyFile);
  return ca === undefined && cert === undefined && key === undefined
    ? true
    : { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}

/** The NATS sink of one endpoint. Throws for an unset credential variable, an unreadable file or a refused option. */
export function createNatsEndpointSink(endpoint: NatsEndpointConfig, context: BrokerSinkContext): NatsSink {
  const tls = natsTls(endpoint.tls);
  return loaded(natsPackage, 'the NATS sink').createNatsSink({
    name: endpoint.name,
    servers: endpoint.urls,
    subject: endpoint.subject,
    format: endpoint.format,
    clusterName: context.clusterName,
    stream: endpoint.stream,
    createStream: endpoint.createStream,
    ...(endpoint.kvBucket === undefined ? {} : { kvBucket: endpoint.kvBucket }),
    createKvBucket: endpoint.createKvBucket,
    ...(endpoint.usernameVar === undefined
      ? {}
      : { user: envValue(context.env, 'usernameVar', endpoint.usernameVar), pass: envValue(context.env, 'passwordVar', endpoint.passwordVar ?? '') }),
    ...(endpoint.tokenVar === undefined ? {} : { token: envValue(context.env, 'tokenVar', endpoint.tokenVar) }),
    ...(tls === undefined ? {} : { tls }),
    timeoutMs: endpoint.timeoutMs,
    logger: context.logger,
  });
}
