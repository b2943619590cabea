import { Producer } from '@platformatic/kafka';
import { ConfigError } from '@watch-proxy/core';
import { delivered, partial, rejected, retryable } from '@watch-proxy/core/sink';
import type { Batch, Change, SendContext, SendOutcome, Sink, SinkLifecycleContext } from '@watch-proxy/core';
import { classifyFailure, describeError, isTooLarge } from './classify.js';
import { encodeRecord } from './encode-record.js';
import type { KafkaRecord } from './encode-record.js';
import type { KafkaSinkOptions } from './options.js';
import { RESOURCE_PLACEHOLDER, topicFor, topicTemplateProblem } from './topic-name.js';
import { MissingTopicError, ensureTopic } from './topics.js';
import type { ClientOptions } from './topics.js';

/** Default of `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default of `maxRecordBytes`: just under Kafka's default `max.message.bytes` (1 MiB). */
export const DEFAULT_MAX_RECORD_BYTES = 1_000_000;

/** The sink returned by {@link createKafkaSink}: a core `Sink` plus where it sends. */
export interface KafkaSink extends Sink<Change> {
  /** The bootstrap brokers, comma-separated, as used in messages. */
  readonly target: string;
  /** Topic of a change's resource (the `topic` option with `{resource}` replaced). */
  topicOf(resource: string): string;
}

interface Produced {
  readonly index: number;
  readonly topic: string;
  readonly record: KafkaRecord;
}

/**
 * Creates the Kafka sink: one record per change, keyed by the object's uniqueId, a tombstone on delete, to one
 * topic or one per resource. The producer is idempotent with `acks=all`; a batch is delivered only when the
 * broker acknowledged every record. Options are checked now; no network I/O happens before `start()`.
 *
 * `start()` connects (metadata request; TLS and SASL are checked there) and, for a single topic, makes sure it
 * exists or creates it when `createTopics` is set; it rejects when either fails. `send` produces the batch as
 * one request and classifies the answer: a record larger than `maxRecordBytes` or refused by the broker as too
 * large is rejected alone (its object key is in the error) while the others are delivered; other broker errors
 * that repeat for the same data are rejected; everything else (network, timeouts, leadership changes, a missing
 * topic) is retryable. An abort closes the producer's connections, and the next send opens new ones.
 *
 * @throws ConfigError (`WP_ERR_CONFIG_INVALID`) for invalid options, naming the option.
 */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  const brokers = checkBrokers(options.brokers);
  const problem = topicTemplateProblem(options.topic);
  if (problem !== undefined) throw configError('topic', problem);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes <= 0) throw configError('maxRecordBytes', `maxRecordBytes must be a positive integer, got ${String(maxRecordBytes)}`);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs <= 0) throw configError('requestTimeoutMs', `requestTimeoutMs must be a positive integer, got ${String(requestTimeoutMs)}`);
  if (options.sasl !== undefined && (options.sasl.username === '' || options.sasl.password === '')) {
    throw configError('sasl', 'sasl needs a non-empty username and password');
  }
  const name = options.name ?? `kafka:${options.topic}`;
  const format = options.format ?? 'watch-proxy';
  const clusterName = options.clusterName ?? '';
  const createTopics = options.createTopics ?? false;
  const settings = options.topicSettings ?? {};
  const target = brokers.join(',');
  const perResource = options.topic.includes(RESOURCE_PLACEHOLDER);
  const clientOptions: ClientOptions = {
    clientId: options.clientId ?? 'watch-proxy',
    bootstrapBrokers: [...brokers],
    timeout: requestTimeoutMs,
    connectTimeout: requestTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // Core retries batches; the client retrying inside an attempt would hide failures and outlast its deadline.
    retries: false,
    ...(options.tls === undefined || options.tls === false ? {} : { tls: options.tls === true ? {} : { ...options.tls } }),
    ...(options.sasl === undefined ? {} : { sasl: { ...options.sasl } }),
  };

  let producer: Producer | undefined;
  const knownTopics = new Set<string>();

  const current = (): Producer => {
    producer ??= new Producer({ ...clientOptions, idempotent: true, acks: -1, autocreateTopics: false });
    return producer;
  };
  // A failed or aborted produce leaves the idempotent producer's sequence numbers unknown: start a new one (new
  // producer id) for the next attempt, and cut its connections so nothing of this attempt keeps running.
  const discard = (): void => {
    const old = producer;
    producer = undefined;
    knownTopics.clear();
    void old?.close(true).catch(() => undefined);
  };

  const produce = async (items: readonly Produced[]): Promise<void> => {
    const active = current();
    for (const topic of new Set(items.map((item) => item.topic))) {
      if (knownTopics.has(topic)) continue;
      await ensureTopic(active, clientOptions, topic, createTopics, settings);
      knownTopics.add(topic);
    }
    await active.send({
      // A tombstone is a record without a value.
      messages: items.map(({ topic, record }) =>
        record.value === undefined ? { topic, key: record.key, headers: record.headers } : { topic, key: record.key, value: record.value, headers: record.headers },
      ),
    });
  };

  const tooLargeError = (items: readonly Produced[], batch: Batch<Change>, why: string): Error =>
    new Error(
      `kafka ${target}: ${why}; not sent: ${items.map(({ index }) => `${batch.items[index]!.key} (uniqueId ${batch.items[index]!.uniqueId})`).join(', ')}`,
    );

  // The broker refused a request as too large: find the record(s) by sending one at a time, in order.
  const sendOneByOne = async (items: readonly Produced[], batch: Batch<Change>): Promise<SendOutcome> => {
    const refused: Produced[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      try {
        await produce([item]);
      } catch (error) {
        if (isTooLarge(error)) {
          refused.push(item);
          continue;
        }
        discard();
        const rest = items.slice(i).map(({ index }) => index);
        return partial([...refused.map(({ index }) => index), ...rest], new Error(`kafka ${target}: ${describeError(error)}`, { cause: error }));
      }
    }
    const error = tooLargeError(refused, batch, 'the broker refused records as too large (message.max.bytes)');
    if (refused.length === batch.items.length) return rejected(error);
    return partial(refused.map(({ index }) => index), error);
  };

  const sendBatch = async (batch: Batch<Change>): Promise<SendOutcome> => {
    const fitting: Produced[] = [];
    const oversize: Produced[] = [];
    // A proxy watching several clusters names each batch's: its CloudEvents `source`.
    const source = batch.cluster?.name ?? clusterName;
    batch.items.forEach((change, index) => {
      const record = encodeRecord(change, format, source, batch.cluster?.uid);
      const item = { index, topic: topicFor(options.topic, change.resource), record };
      (record.bytes > maxRecordBytes ? oversize : fitting).push(item);
    });
    // Oversize records are answered with `partial` first (the rest delivered); alone in their next batch, rejected.
    const oversizeError = tooLargeError(oversize, batch, `records larger than maxRecordBytes (${maxRecordBytes})`);
    if (fitting.length === 0) return rejected(oversizeError);
    try {
      await produce(fitting);
    } catch (error) {
      if (isTooLarge(error)) {
        if (fitting.length === 1 && oversize.length === 0) {
          return rejected(tooLargeError(fitting, batch, 'the broker refused the record as too large (message.max.bytes)'));
        }
        if (oversize.length === 0) return sendOneByOne(fitting, batch);
      }
      discard();
      if (error instanceof MissingTopicError) return retryable(new Error(`kafka ${target}: ${error.message}`));
      return classifyFailure(error, target);
    }
    return oversize.length === 0 ? delivered() : partial(oversize.map(({ index }) => index), oversizeError);
  };

  return {
    name,
    target,
    topicOf: (resource) => topicFor(options.topic, resource),
    // Core's attempt timeout grows to this (plus a margin), so the client's own timeout classifies a slow broker.
    timeoutMs: requestTimeoutMs,
    ...(options.limits === undefined ? {} : { limits: options.limits }),

    async start(ctx: SinkLifecycleContext): Promise<void> {
      const check = async (): Promise<void> => {
        const active = current();
        await active.metadata({ topics: [], autocreateTopics: false, forceUpdate: true });
        if (!perResource) {
          await ensureTopic(active, clientOptions, options.topic, createTopics, settings);
          knownTopics.add(options.topic);
        }
      };
      try {
        await untilAborted(check(), ctx.signal);
      } catch (error) {
        discard();
        throw new Error(`kafka sink ${name}: brokers ${target}: ${describeError(error)}`, { cause: error });
      }
    },

    async send(batch: Batch<Change>, ctx: SendContext): Promise<SendOutcome> {
      if (ctx.signal.aborted) return retryable(abortError(ctx.signal, target));
      try {
        return await untilAborted(sendBatch(batch), ctx.signal);
      } catch (error) {
        if (!ctx.signal.aborted) throw error;
        discard();
        return retryable(abortError(ctx.signal, target));
      }
    },

    async close(ctx: SinkLifecycleContext): Promise<void> {
      const active = producer;
      producer = undefined;
      if (active === undefined) return;
      try {
        await untilAborted(active.close(), ctx.signal);
      } catch {
        await active.close(true).catch(() => undefined);
      }
    },
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortError(signal: AbortSignal, target: string): Error {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new Error(`kafka ${target}: attempt aborted (${reason})`, { cause: signal.reason });
}

function checkBrokers(brokers: readonly string[]): readonly string[] {
  if (!Array.isArray(brokers) || brokers.length === 0) throw configError('brokers', 'brokers must list at least one "host:port"');
  for (const broker of brokers) {
    const match = /^(.+):(\d{1,5})$/.exec(broker);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) throw configError('brokers', `broker "${broker}" is not "host:port"`);
  }
  return brokers;
}

/** A refused option: `reason` is the whole sentence, which names the option; the message adds `kafka sink: `. */
function configError(option: string, reason: string): ConfigError {
  return new ConfigError(option, reason, { message: `kafka sink: ${reason}` });
}
