import type { Logger } from '@watch-proxy/core';

/** How a record's value (and headers) carry a change. */
export type KafkaPayloadFormat = 'watch-proxy' | 'cloudevents';

/** SASL authentication mechanisms the Kafka sink supports. */
export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** SASL credentials. Never logged. */
export interface KafkaSaslOptions {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** TLS towards the brokers. PEM text (not file names): the daemon reads the files. */
export interface KafkaTlsOptions {
  /** CA bundle that verifies the brokers' certificates. Default: Node's trusted CAs. */
  readonly ca?: string;
  /** Client certificate for mutual TLS (with `key`). */
  readonly cert?: string;
  /** Client private key for mutual TLS (with `cert`). */
  readonly key?: string;
  /** Verify the brokers' certificates. Default true; false is for tests only. */
  readonly rejectUnauthorized?: boolean;
  /** Server name for SNI and verification. Default: the broker's host. */
  readonly servername?: string;
}

/** How topics that do not exist yet are created (only with `createTopics: true`). */
export interface KafkaTopicSettings {
  /** Partitions of a created topic. Default -1: the broker's `num.partitions`. */
  readonly partitions?: number;
  /** Replication factor of a created topic. Default -1: the broker's `default.replication.factor`. */
  readonly replicationFactor?: number;
  /**
   * Topic configuration of a created topic. Default `{ "cleanup.policy": "compact" }`: the topic keeps the
   * latest record per object and drops deleted objects (tombstones), so it is a replayable inventory.
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** Options of {@link createKafkaSink}. */
export interface KafkaSinkOptions {
  /** The sink's name; keys its emit cache. Default `kafka:<topic>`. */
  readonly name?: string;
  /** Bootstrap brokers, `host:port` each (at least one). */
  readonly brokers: readonly string[];
  /**
   * The topic. `{resource}` in it is replaced by the change's resource (`configmaps`, `deployments.apps`), which
   * gives one topic per resource (`k8s.{resource}`); without it every record goes to one topic.
   */
  readonly topic: string;
  /**
   * `watch-proxy` (default): the value is the change as one item of the watch-proxy payload
   * (`{"asset_type_id","data","uniqueId","event"}`). `cloudevents`: CloudEvents 1.0 binary mode, the value is
   * the object and the attributes are `ce_*` headers.
   */
  readonly format?: KafkaPayloadFormat;
  /** The cluster's name: the CloudEvents `source` (`watch-proxy` when empty). Default `''`. */
  readonly clusterName?: string;
  /** Create missing topics (with `topicSettings`) instead of failing. Default false. */
  readonly createTopics?: boolean;
  /** Partitions, replication and configuration of topics this sink creates. */
  readonly topicSettings?: KafkaTopicSettings;
  /** Kafka client id. Default `watch-proxy`. */
  readonly clientId?: string;
  /** TLS towards the brokers; `true` for TLS with Node's trusted CAs. Default: plaintext. */
  readonly tls?: boolean | KafkaTlsOptions;
  /** SASL authentication. Default: none. */
  readonly sasl?: KafkaSaslOptions;
  /** Timeout of each request to a broker (connect, metadata, produce), in ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /**
   * A record (key + value + headers) larger than this many bytes is rejected without being sent (Kafka's
   * default `max.message.bytes` is 1 MiB). Default 1 000 000.
   */
  readonly maxRecordBytes?: number;
  /** Batch limits for core's batcher (see the Sink contract). */
  readonly limits?: { readonly maxItems?: number; readonly maxBytes?: number };
  /** Where creation-time warnings go. */
  readonly logger?: Logger;
}
