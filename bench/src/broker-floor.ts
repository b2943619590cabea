/**
 * The floor of the broker scenario: the sink's own client producing the same records (the bytes the sink sent for
 * the same objects) with no watch-proxy around it, one batch in flight at a time as a lane sends them. What any
 * producer of these records must at least pay, so objects/s into a broker reads as a ratio of it.
 */
import { Producer } from '@platformatic/kafka';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { clock } from './stats.ts';

/** One record as the sink produced it: Kafka topic/key/value/headers, or a NATS subject and payload. */
export interface CapturedRecord {
  readonly target: string;
  readonly key: string;
  readonly value: Buffer | string | undefined;
  readonly headers?: Map<Buffer, Buffer> | undefined;
}

export type BrokerKind = 'kafka' | 'nats';

/**
 * Sends the captured batches again `rounds` times, as the lane cut them (core's byte limit keeps each under the
 * broker's request limits), each round's keys made new (Kafka's idempotent producer and JetStream's
 * de-duplication must see fresh records, as they do from the sink); returns records/s.
 */
export async function brokerFloor(kind: BrokerKind, address: string, captured: readonly (readonly CapturedRecord[])[], rounds: number): Promise<number> {
  const batches: CapturedRecord[][] = [];
  for (let r = 0; r < rounds; r++) for (const b of captured) batches.push(b.map((rec) => ({ ...rec, key: `${rec.key}.floor${r}` })));
  const total = batches.reduce((sum, b) => sum + b.length, 0);
  return kind === 'kafka' ? kafkaFloor(address, batches, total) : natsFloor(address, batches, total);
}

async function kafkaFloor(address: string, batches: readonly CapturedRecord[][], total: number): Promise<number> {
  const producer = new Producer({ clientId: 'bench-floor', bootstrapBrokers: [address], idempotent: true, acks: -1, autocreateTopics: false, retries: false });
  try {
    const send = (records: readonly CapturedRecord[]): Promise<unknown> =>
      producer.send({
        messages: records.map((rec) => ({
          topic: rec.target,
          key: Buffer.from(rec.key),
          ...(rec.value === undefined ? {} : { value: Buffer.isBuffer(rec.value) ? rec.value : Buffer.from(rec.value) }),
          ...(rec.headers === undefined ? {} : { headers: rec.headers }),
        })),
      });
    await send(batches[0]!); // connections and producer id, untimed
    const started = clock();
    for (const b of batches) await send(b);
    return total / ((clock() - started) / 1000);
  } finally {
    await producer.close(true).catch(() => undefined);
  }
}

async function natsFloor(address: string, batches: readonly CapturedRecord[][], total: number): Promise<number> {
  const connection = await connect({ servers: address });
  try {
    const js = jetstream(connection);
    const send = (records: readonly CapturedRecord[]): Promise<unknown> =>
      Promise.all(records.map((rec) => js.publish(rec.target, rec.value ?? '', { msgID: rec.key })));
    await send(batches[0]!.map((rec) => ({ ...rec, key: `${rec.key}.warm` })));
    const started = clock();
    for (const b of batches) await send(b);
    return total / ((clock() - started) / 1000);
  } finally {
    await connection.close();
  }
}
