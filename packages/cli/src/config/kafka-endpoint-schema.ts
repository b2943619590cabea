/**
 * The `remoteEndpoints[]` entry of `type: kafka`: the options of `@watch-proxy/kafka-sink` as the file spells
 * them. Credentials are named (env vars, files), never written in the file.
 */
import { topicTemplateProblem } from '@watch-proxy/kafka-sink/schema';
import { z } from 'zod';

import { HOUR_MS, duration, endpointRouting, envVarName, flag, nonEmptyText, text, wholeNumber } from './schema-fields.js';

/** `host:port` with a port from 1 to 65535 (a bracketed IPv6 host is allowed). */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):([0-9]{1,5})$/;

function hostPort(description: string) {
  return nonEmptyText(description).refine(
    (value) => {
      const port = Number(HOST_PORT.exec(String(value))?.[1]);
      return port >= 1 && port <= 65535;
    },
    { error: 'must be "host:port" (no scheme), e.g. "kafka-0.kafka:9092"' },
  );
}

const kafkaTlsSchema = z
  .union(
    [
      z.boolean(),
      z.strictObject({
        caFile: nonEmptyText('PEM file of CA certificates that verify the brokers, instead of the system roots.').optional(),
        certFile: nonEmptyText('PEM client certificate for mutual TLS (with keyFile).').optional(),
        keyFile: nonEmptyText('PEM private key of certFile.').optional(),
        insecureSkipVerify: flag('Do not verify the brokers\' certificates. For tests only; reported as a warning. Default false.', false),
        serverName: nonEmptyText('Server name for SNI and certificate verification. Default: each broker\'s host.').optional(),
      }),
    ],
    { error: 'expected true, false, or a mapping with caFile, certFile, keyFile, insecureSkipVerify, serverName' },
  )
  .optional()
  .meta({ description: 'TLS towards the brokers: true (system roots) or a mapping of options. Default: plaintext.' });

const kafkaSaslSchema = z
  .strictObject({
    mechanism: z
      .enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
      .meta({ description: 'SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (use TLS with PLAIN).' }),
    usernameVar: envVarName('Name of the environment variable holding the SASL username (one trailing newline is stripped).'),
    passwordVar: envVarName('Name of the environment variable holding the SASL password (one trailing newline is stripped). Set it or passwordFile.').optional(),
    passwordFile: nonEmptyText('File holding the SASL password (one trailing newline is stripped), read when the endpoint starts and on reload. Set it or passwordVar.').optional(),
  })
  .optional()
  .meta({ description: 'SASL authentication. Default: none.' });

const topicSettingsSchema = z
  .strictObject({
    partitions: wholeNumber().min(1).optional().meta({ description: 'Partitions of a created topic. Default: the broker\'s num.partitions.' }),
    replicationFactor: wholeNumber()
      .min(1)
      .max(32767)
      .optional()
      .meta({ description: 'Replication factor of a created topic. Default: the broker\'s default.replication.factor.' }),
    config: z
      .record(z.string().min(1), text('A topic configuration value.'))
      .optional()
      .meta({
        description:
          'Topic configuration of a created topic, e.g. {"cleanup.policy": "compact", "min.insync.replicas": "2"}. Default {"cleanup.policy": "compact"}: the topic is a replayable inventory.',
      }),
  })
  .optional()
  .meta({ description: 'How topics this endpoint creates are made (only with createTopics). New.' });

/** One `remoteEndpoints[]` entry with `type: kafka`. */
export const kafkaEndpointSchema = z
  .strictObject({
    type: z.literal('kafka').meta({ description: 'Send each change as one Kafka record keyed by the object\'s uniqueId (tombstone on delete).' }),
    name: nonEmptyText('Unique name of this endpoint in logs, metrics and the emit cache; keep it stable. Default "kafka:<topic>".').optional(),
    brokers: z
      .array(hostPort('A bootstrap broker, "host:port".'))
      .min(1, { error: 'must list at least one broker ("host:port")' })
      .meta({ description: 'Bootstrap brokers, "host:port" each.' }),
    topic: nonEmptyText(
      'The topic. "{resource}" in it gives one topic per resource ("k8s.{resource}" -> "k8s.configmaps", "k8s.deployments.apps"); without it every record goes to one topic.',
    ).superRefine((value, ctx) => {
      const problem = topicTemplateProblem(String(value));
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.replace(/^topic "[^"]*" /, '') });
    }),
    format: z
      .enum(['watch-proxy', 'cloudevents'])
      .default('watch-proxy')
      .meta({
        description:
          'Record format: "watch-proxy" (the value is one watch-proxy payload item) or "cloudevents" (CloudEvents 1.0 binary mode: the object as value, ce_* headers). Default watch-proxy.',
      }),
    createTopics: flag('Create missing topics (with topicSettings) instead of failing. Default false.', false),
    topicSettings: topicSettingsSchema,
    clientId: nonEmptyText('Kafka client id. Default "watch-proxy".').default('watch-proxy'),
    tls: kafkaTlsSchema,
    sasl: kafkaSaslSchema,
    timeout: duration('Timeout of each request to a broker (connect, metadata, produce), a Go duration, at most 1h. Default 10s.', {
      default: '10s',
      positive: true,
      max: { ms: HOUR_MS, text: '1h', why: 'one request that may hang longer holds back every later change to this endpoint' },
    }),
    maxRecordBytes: wholeNumber()
      .min(1)
      .default(1_000_000)
      .meta({ description: 'A record larger than this many bytes is refused without being sent (counted, logged with its key). Default 1000000 (Kafka\'s default max.message.bytes is 1 MiB).' }),
    ...endpointRouting,
  })
  .meta({ description: 'A Kafka topic: one record per change, keyed by uniqueId, so a compacted topic is the cluster\'s inventory. New.' });

/** The parsed `type: kafka` entry. */
export type KafkaEndpointFile = z.output<typeof kafkaEndpointSchema>;
