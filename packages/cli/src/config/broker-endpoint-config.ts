/**
 * The normalized `type: kafka` and `type: nats` endpoints: every default applied, every optional value present or
 * `null`, durations in milliseconds, and credentials only named (env vars, files), like HTTP endpoints.
 */
import { toEndpointRules } from './endpoint-rules-config.js';
import type { EndpointRulesConfig } from './endpoint-rules-config.js';
import type { KafkaEndpointFile } from './kafka-endpoint-schema.js';
import { subjectTemplate } from './nats-endpoint-schema.js';
import type { NatsEndpointFile } from './nats-endpoint-schema.js';

/** Kafka SASL mechanisms. */
export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** TLS towards Kafka brokers. File paths as written (read when the sink is built). */
export interface KafkaTlsConfig {
  /** PEM bundle of CAs that verify the brokers; `null` = system roots. */
  readonly caFile: string | null;
  /** PEM client certificate for mutual TLS; set together with `keyFile`, or neither. */
  readonly certFile: string | null;
  /** PEM private key of `certFile`. */
  readonly keyFile: string | null;
  /** Skip certificate verification. Default `false`; a warning is reported when `true`. */
  readonly insecureSkipVerify: boolean;
  /** SNI and verification name; `null` = each broker's host. */
  readonly serverName: string | null;
}

/** Kafka SASL credentials, by name: the values are read from the environment or a file when the sink is built. */
export interface KafkaSaslConfig {
  readonly mechanism: KafkaSaslMechanism;
  /** Env var holding the username. */
  readonly usernameVar: string;
  /** Env var holding the password; exactly one of this and `passwordFile` is set. */
  readonly passwordVar: string | null;
  /** File holding the password. */
  readonly passwordFile: string | null;
}

/** Settings of topics a Kafka endpoint creates (`createTopics`); `null` values leave the broker's default. */
export interface KafkaTopicSettingsConfig {
  readonly partitions: number | null;
  readonly replicationFactor: number | null;
  /** Topic configuration; `null` = the sink's default (`cleanup.policy=compact`). */
  readonly config: Readonly<Record<string, string>> | null;
}

/** One `remoteEndpoints[]` entry of `type: kafka`. */
export interface KafkaEndpointConfig extends EndpointRulesConfig {
  /** Unique, stable name (logs, metrics, emit cache). Default `kafka:<topic>`, suffixed `#2`... when taken. */
  readonly name: string;
  /** Always `null`: broker endpoints never had another default name. */
  readonly formerName: null;
  readonly type: 'kafka';
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Topic, or topic template with `{resource}`. */
  readonly topic: string;
  /** Record format. Default `watch-proxy`. */
  readonly format: 'watch-proxy' | 'cloudevents';
  /** Create missing topics. Default `false`. */
  readonly createTopics: boolean;
  readonly topicSettings: KafkaTopicSettingsConfig;
  /** Kafka client id. Default `watch-proxy`. */
  readonly clientId: string;
  /** TLS; `null` (default) = plaintext. */
  readonly tls: KafkaTlsConfig | null;
  /** SASL; `null` (default) = none. */
  readonly sasl: KafkaSaslConfig | null;
  /** Per-request timeout in ms. Default 10000. */
  readonly timeoutMs: number;
  /** Records larger than this many bytes are refused unsent. Default 1000000. */
  readonly maxRecordBytes: number;
  /** Routing filter: only objects in these namespaces; empty (default) = all. */
  readonly namespaces: readonly string[];
  /** Routing filter: only these resources; empty (default) = all. */
  readonly resourceTypes: readonly string[];
}

/** TLS towards NATS servers. File paths as written (read when the sink is built). */
export interface NatsTlsConfig {
  /** PEM bundle of CAs that verify the servers; `null` = system roots. */
  readonly caFile: string | null;
  /** PEM client certificate for mutual TLS; set together with `keyFile`, or neither. */
  readonly certFile: string | null;
  /** PEM private key of `certFile`. */
  readonly keyFile: string | null;
}

/** One `remoteEndpoints[]` entry of `type: nats`. */
export interface NatsEndpointConfig extends EndpointRulesConfig {
  /** Unique, stable name (logs, metrics, emit cache). Default `nats:<subject>`, suffixed `#2`... when taken. */
  readonly name: string;
  /** Always `null`: broker endpoints never had another default name. */
  readonly formerName: null;
  readonly type: 'nats';
  /** Server URLs (`nats://`, `tls://`), without credentials. */
  readonly urls: readonly string[];
  /** Subject template with `{cluster}`, `{resource}`, `{event}` (a prefix in the file gets them appended). */
  readonly subject: string;
  /** Always `watch-proxy`: one payload item per message. */
  readonly format: 'watch-proxy';
  /** JetStream stream. Default `WATCH_PROXY`. */
  readonly stream: string;
  /** Create the stream when none captures the subjects. Default `false`. */
  readonly createStream: boolean;
  /** KV bucket holding the inventory; `null` (default) = none. */
  readonly kvBucket: string | null;
  /** Create `kvBucket` when missing. Default `false`. */
  readonly createKvBucket: boolean;
  /** Env var holding the user name; `null` = no user/password auth. */
  readonly usernameVar: string | null;
  /** Env var holding the password (with `usernameVar`). */
  readonly passwordVar: string | null;
  /** Env var holding a token; `null` = no token. */
  readonly tokenVar: string | null;
  /** TLS; `null` (default) = as the URL says. */
  readonly tls: NatsTlsConfig | null;
  /** Connect and acknowledgement timeout in ms. Default 10000. */
  readonly timeoutMs: number;
  /** Routing filter: only objects in these namespaces; empty (default) = all. */
  readonly namespaces: readonly string[];
  /** Routing filter: only these resources; empty (default) = all. */
  readonly resourceTypes: readonly string[];
}

/** The default name of a Kafka endpoint (before de-duplication): its topic carries no secret, its brokers may change. */
export function defaultKafkaEndpointName(file: Pick<KafkaEndpointFile, 'topic'>): string {
  return `kafka:${file.topic}`;
}

/** The default name of a NATS endpoint (before de-duplication). */
export function defaultNatsEndpointName(file: Pick<NatsEndpointFile, 'subject'>): string {
  return `nats:${subjectTemplate(file.subject)}`;
}

/** Normalizes a parsed `type: kafka` entry; `name` is the endpoint's final (unique) name. */
export function toKafkaEndpoint(file: KafkaEndpointFile, name: string): KafkaEndpointConfig {
  const tls = file.tls;
  return {
    name,
    formerName: null,
    type: 'kafka',
    brokers: file.brokers,
    topic: file.topic,
    format: file.format,
    createTopics: file.createTopics,
    topicSettings: {
      partitions: file.topicSettings?.partitions ?? null,
      replicationFactor: file.topicSettings?.replicationFactor ?? null,
      config: file.topicSettings?.config ?? null,
    },
    clientId: file.clientId,
    tls:
      tls === undefined || tls === false
        ? null
        : {
            caFile: tls === true ? null : (tls.caFile ?? null),
            certFile: tls === true ? null : (tls.certFile ?? null),
            keyFile: tls === true ? null : (tls.keyFile ?? null),
            insecureSkipVerify: tls === true ? false : tls.insecureSkipVerify,
            serverName: tls === true ? null : (tls.serverName ?? null),
          },
    sasl:
      file.sasl === undefined
        ? null
        : {
            mechanism: file.sasl.mechanism,
            usernameVar: file.sasl.usernameVar,
            passwordVar: file.sasl.passwordVar ?? null,
            passwordFile: file.sasl.passwordFile ?? null,
          },
    timeoutMs: file.timeout,
    maxRecordBytes: file.maxRecordBytes,
    namespaces: file.namespaces,
    resourceTypes: file.resourceTypes,
    ...toEndpointRules(file),
  };
}

/** Normalizes a parsed `type: nats` entry; `name` is the endpoint's final (unique) name. */
export function toNatsEndpoint(file: NatsEndpointFile, name: string): NatsEndpointConfig {
  const tls = file.tls;
  return {
    name,
    formerName: null,
    type: 'nats',
    urls: typeof file.url === 'string' ? [file.url] : file.url,
    subject: subjectTemplate(file.subject),
    format: 'watch-proxy',
    stream: file.stream,
    createStream: file.createStream,
    kvBucket: file.kvBucket ?? null,
    createKvBucket: file.createKvBucket,
    usernameVar: file.usernameVar ?? null,
    passwordVar: file.passwordVar ?? null,
    tokenVar: file.tokenVar ?? null,
    tls:
      tls === undefined || tls === false
        ? null
        : {
            caFile: tls === true ? null : (tls.caFile ?? null),
            certFile: tls === true ? null : (tls.certFile ?? null),
            keyFile: tls === true ? null : (tls.keyFile ?? null),
          },
    timeoutMs: file.timeout,
    namespaces: file.namespaces,
    resourceTypes: file.resourceTypes,
    ...toEndpointRules(file),
  };
}
