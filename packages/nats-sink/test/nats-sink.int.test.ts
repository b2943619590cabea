import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@watch-proxy/core';
import type { SendContext, SinkLifecycleContext } from '@watch-proxy/core';
import { contractBatch, contractChange, describeSinkContract } from '@watch-proxy/core/testing';
import { startNats, type TestBroker } from '@watch-proxy/test-brokers';
import { createNatsSink, encodeMessage, kvKey, messageId } from '../src/index.js';
import type { NatsSink, NatsSinkOptions } from '../src/index.js';

let nats: TestBroker;
let count = 0;
const streams = new Map<NatsSink, { stream: string; bucket: string }>();

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  await nats?.stop();
});

function lifecycle(): SinkLifecycleContext {
  return { signal: new AbortController().signal, logger: silentLogger };
}

function sendContext(signal = new AbortController().signal): SendContext {
  return { signal, attempt: 1, deadline: Date.now() + 30_000, logger: silentLogger };
}

function makeSink(options: Partial<NatsSinkOptions> = {}): NatsSink {
  const n = ++count;
  const sink = createNatsSink({
    name: 'nats:contract',
    servers: nats.address,
    subject: `t${n}.{cluster}.{resource}.{event}`,
    stream: `T${n}`,
    createStream: true,
    kvBucket: `inventory${n}`,
    createKvBucket: true,
    clusterName: 'test',
    ...options,
  });
  streams.set(sink, { stream: `T${n}`, bucket: `inventory${n}` });
  return sink;
}

/** Reads with a connection of its own, as a consumer would (a fresh one also after a server restart). */
async function withReader<T>(read: (reader: NatsConnection, jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const reader = await connect({ servers: nats.address });
  try {
    return await read(reader, await jetstreamManager(reader));
  } finally {
    await reader.close();
  }
}

function streamMessages(stream: string): Promise<{ subject: string; id: string; data: string }[]> {
  return withReader(async (_reader, jsm) => {
    const info = await jsm.streams.info(stream);
    const out: { subject: string; id: string; data: string }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (message === null) continue;
      out.push({ subject: message.subject, id: message.header.get('Nats-Msg-Id'), data: message.string() });
    }
    return out;
  });
}

function inventory(bucket: string): Promise<Map<string, string>> {
  return withReader(async (reader) => {
    const kv = await new Kvm(reader).open(bucket);
    const view = new Map<string, string>();
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry !== null && entry.operation === 'PUT') view.set(key, entry.string());
    }
    return view;
  });
}

describeSinkContract('nats-sink', () => makeSink(), {
  verifyDelivered: async (sink, batch) => {
    const { stream, bucket } = streams.get(sink as NatsSink)!;
    const messages = await streamMessages(stream);
    const view = await inventory(bucket);
    for (const change of batch.items) {
      const message = messages.find((m) => m.id === messageId(change));
      expect(message, `a message for ${change.key} ${change.event}`).toBeDefined();
      expect(message!.subject).toBe(`${stream.toLowerCase()}.test.configmaps.${change.event}`);
      const item = encodeMessage(change, 'watch-proxy', 'test').data;
      expect(message!.data).toBe(item);
      if (change.event === 'delete') expect(view.has(kvKey(change.uniqueId))).toBe(false);
      else expect(view.get(kvKey(change.uniqueId))).toBe(item);
    }
  },
  cleanup: (sink) => sink.close?.(lifecycle()),
});

describe('nats-sink against a real nats-server', () => {
  it('keeps the latest state of each object in the KV bucket, deletes gone', async () => {
    const sink = makeSink();
    await sink.start?.(lifecycle());
    await sink.send(contractBatch([contractChange('add', 'a', 1), contractChange('add', 'b', 1), contractChange('add', 'c', 1)]), sendContext());
    await sink.send(contractBatch([contractChange('update', 'a', 2), contractChange('delete', 'b', 1)]), sendContext());
    const view = await inventory(streams.get(sink)!.bucket);
    expect([...view.keys()].sort()).toEqual(['test-uid-a', 'test-uid-c']);
    expect(JSON.parse(view.get('test-uid-a')!)).toMatchObject({ event: 'update', data: { data: { value: 2 } } });
    await sink.close?.(lifecycle());
  });

  it('format cloudevents: each message is a structured CloudEvent with its content type, in the stream and the KV bucket', async () => {
    const sink = makeSink({ format: 'cloudevents' });
    const { stream, bucket } = streams.get(sink)!;
    await sink.start?.(lifecycle());
    const changes = [contractChange('add', 'e1', 1), contractChange('delete', 'e2', 1)];
    expect(await sink.send(contractBatch(changes), sendContext())).toEqual({ status: 'delivered' });
    const stored = await withReader(async (_reader, jsm) => {
      const out: { type: unknown; contentType: string }[] = [];
      for (let seq = 1; seq <= 2; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq });
        out.push({ type: (message!.json() as { type: unknown }).type, contentType: message!.header.get('content-type') });
      }
      return out;
    });
    expect(stored).toEqual([
      { type: 'io.watch-proxy.configmaps.add', contentType: 'application/cloudevents+json' },
      { type: 'io.watch-proxy.configmaps.delete', contentType: 'application/cloudevents+json' },
    ]);
    expect(JSON.parse((await inventory(bucket)).get('test-uid-e1')!)).toMatchObject({ specversion: '1.0', uniqueid: 'test-uid-e1', data: changes[0]!.object });
    await sink.close?.(lifecycle());
  });

  it('the same changes re-sent by a restarted sink are dropped by the server (message id de-duplication)', async () => {
    const sink = makeSink();
    const { stream } = streams.get(sink)!;
    await sink.start?.(lifecycle());
    const batch = contractBatch([contractChange('add', 'd1', 1), contractChange('update', 'd2', 1)]);
    expect(await sink.send(batch, sendContext())).toEqual({ status: 'delivered' });
    await sink.close?.(lifecycle());
    expect(await streamMessages(stream)).toHaveLength(2);
    const restarted = createNatsSink({ servers: nats.address, subject: `${stream.toLowerCase()}.{cluster}.{resource}.{event}`, stream, clusterName: 'test' });
    await restarted.start?.(lifecycle());
    expect(await restarted.send(batch, sendContext())).toEqual({ status: 'delivered' });
    expect(await streamMessages(stream), 'no duplicate stored').toHaveLength(2);
    await restarted.close?.(lifecycle());
  });

  it('start() fails when no stream captures the subjects and createStream is off, or the KV bucket is missing', async () => {
    const noStream = createNatsSink({ servers: nats.address, subject: 'nostream.{resource}' });
    await expect(noStream.start!(lifecycle())).rejects.toThrow(/no JetStream stream captures "nostream\.\*"/);
    const noBucket = makeSink({ kvBucket: 'absent', createKvBucket: false });
    await expect(noBucket.start!(lifecycle())).rejects.toThrow(/nats sink nats:contract/);
  });

  it('is retryable while the server is down and delivers after it restarts, nothing lost', async () => {
    const sink = makeSink({ timeoutMs: 2000 });
    const { bucket } = streams.get(sink)!;
    await sink.start?.(lifecycle());
    expect(await sink.send(contractBatch([contractChange('add', 'r1', 1)]), sendContext())).toEqual({ status: 'delivered' });
    await nats.kill();
    const during = contractBatch([contractChange('add', 'r2', 1), contractChange('delete', 'r1', 1)]);
    const down = await sink.send(during, sendContext(AbortSignal.timeout(10_000)));
    expect(down.status).toBe('retryable');
    await nats.start();
    let outcome = down;
    for (let attempt = 0; attempt < 30 && outcome.status !== 'delivered'; attempt++) {
      outcome = await sink.send(during, sendContext(AbortSignal.timeout(10_000)));
    }
    expect(outcome).toEqual({ status: 'delivered' });
    expect([...(await inventory(bucket)).keys()]).toEqual(['test-uid-r2']);
    await sink.close?.(lifecycle());
  });
});
