import { Consumer } from '@platformatic/kafka';

/** A record as read back from the topic. `value` is undefined for a tombstone. */
export interface ReadRecord {
  readonly key: string;
  readonly value: string | undefined;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: bigint;
}

/** Reads every record of `topic` from the beginning up to its current end, as a consumer rebuilding state would. */
export async function readTopic(address: string, topic: string): Promise<ReadRecord[]> {
  const consumer = new Consumer({ clientId: 'test-reader', groupId: `test-reader-${process.hrtime.bigint()}`, bootstrapBrokers: [address] });
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    const total = ends.reduce((n, end) => n + end, 0n);
    const records: ReadRecord[] = [];
    if (total === 0n) return records;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    const remaining = [...ends];
    try {
      for await (const message of stream) {
        const headers: Record<string, string> = {};
        for (const [name, text] of message.headers) headers[name.toString('utf8')] = text.toString('utf8');
        records.push({
          key: message.key.toString('utf8'),
          value: isTombstone(message) ? undefined : message.value.toString('utf8'),
          headers,
          partition: message.partition,
          offset: message.offset,
        });
        if (message.offset + 1n >= (remaining[message.partition] ?? 0n)) remaining[message.partition] = 0n;
        if (remaining.every((end, p) => end === 0n || (ends[p] ?? 0n) === 0n)) break;
      }
    } finally {
      await stream.close();
    }
    return records;
  } finally {
    await consumer.close(true);
  }
}

function isTombstone(message: { value: unknown }): boolean {
  return message.value === undefined || message.value === null;
}

/** The latest value per key (a compacted topic's view): deleted keys are gone. */
export function latestByKey(records: readonly ReadRecord[]): Map<string, string> {
  const view = new Map<string, string>();
  for (const record of records) {
    if (record.value === undefined) view.delete(record.key);
    else view.set(record.key, record.value);
  }
  return view;
}
