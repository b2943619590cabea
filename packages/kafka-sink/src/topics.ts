import { setTimeout as delay } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import type { Producer } from '@platformatic/kafka';
import type { KafkaTopicSettings } from './options.js';
import { describeError } from './classify.js';

/** The connection options the topic check shares with the producer. */
export type ClientOptions = ConstructorParameters<typeof Admin>[0];

/** Thrown when a topic is missing and this sink may not create it: retryable (an operator can create it). */
export class MissingTopicError extends Error {}

/**
 * Makes sure `topic` exists before records go to it: the client waits forever on a produce to a missing topic
 * instead of failing, so the sink asks first (a metadata request) and creates it when allowed.
 */
export async function ensureTopic(
  producer: Producer,
  clientOptions: ClientOptions,
  topic: string,
  create: boolean,
  settings: KafkaTopicSettings,
): Promise<void> {
  try {
    await producer.metadata({ topics: [topic], autocreateTopics: false, forceUpdate: true });
    return;
  } catch (error) {
    if (!isUnknownTopic(error)) throw error;
  }
  if (!create) throw new MissingTopicError(`topic "${topic}" does not exist (create it, or set createTopics)`);
  const admin = new Admin(clientOptions);
  try {
    await admin.createTopics({
      topics: [topic],
      partitions: settings.partitions ?? -1,
      replicas: settings.replicationFactor ?? -1,
      configs: Object.entries(settings.config ?? { 'cleanup.policy': 'compact' }).map(([name, value]) => ({ name, value })),
    });
  } catch (error) {
    // Another instance may have created it in the meantime.
    if (!describeError(error).includes('TOPIC_ALREADY_EXISTS')) throw error;
  } finally {
    await admin.close().catch(() => undefined);
  }
  // The controller has created it, but the broker answering metadata may not know its leader yet and calls it
  // unknown for a moment: ask again briefly rather than fail the first batch that needed the topic.
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.metadata({ topics: [topic], autocreateTopics: false, forceUpdate: true });
      return;
    } catch (error) {
      if (!isUnknownTopic(error) || attempt >= NEW_TOPIC_METADATA_ATTEMPTS) throw error;
    }
    await delay(NEW_TOPIC_METADATA_DELAY_MS);
  }
}

/** How often a topic just created is asked for before its absence is an error: 30 x 100 ms, 3 s. */
const NEW_TOPIC_METADATA_ATTEMPTS = 30;
const NEW_TOPIC_METADATA_DELAY_MS = 100;

function isUnknownTopic(error: unknown): boolean {
  const text = describeError(error);
  return /Unknown topic|UNKNOWN_TOPIC_OR_PARTITION/.test(text);
}
