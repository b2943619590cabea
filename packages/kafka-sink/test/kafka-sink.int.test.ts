import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@watch-proxy/core';
import { encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import type { Batch, SendContext, SinkLifecycleContext } from '@watch-proxy/core';
import { contractBatch, contractChange, describeSinkContract } from '@watch-proxy/core/testing';
import { startKafka, type TestBroker } from '@watch-proxy/test-brokers';
import { createKafkaSink } from '../src/index.js';
import type { KafkaSink, KafkaSinkOptions } from '../src/index.js';
import { latestByKey, readTopic } from './helpers/read-topic.js';

let kafka: TestBroker;
let topics = 0;

beforeAll(async () => {
  kafka = await startKafka();
  // A fresh broker answers the first idempotent producers with COORDINATOR_LOAD_IN_PROGRESS (retryable) for a
  // while: wait, with a deadline, until it takes a record, so the tests below see a settled broker.
  const warmup = makeSink({ topic: 'warmup' });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const outcome = await warmup.send(contractBatch([contractChange('add', 'warmup')]), sendContext()).catch(() => undefined);
    if (outcome?.status === 'delivered') break;
    if (Date.now() > deadline) throw new Error(`the broker never took a record: ${JSON.stringify(outcome)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await warmup.close?.(lifecycle());
});

afterAll(async () => {
  await kafka?.stop();
});

function lifecycle(): SinkLifecycleContext {
  return { signal: new AbortController().signal, logger: silentLogger };
}

function sendContext(signal = new AbortController().signal): SendContext {
  return { signal, attempt: 1, deadline: Date.now() + 30_000, logger: silentLogger };
}

function makeSink(options: Partial<KafkaSinkOptions> = {}): KafkaSink {
  return createKafkaSink({ name: 'kafka:contract', brokers: [kafka.address], topic: `test-${++topics}-{resource}`, createTopics: true, ...options });
}

/** The value a record must have: the change as one item of the watch-proxy payload, byte for byte. */
function expectedValue(batch: Batch, index: number): string {
  const body = encodeWatchProxyPayload([batch.items[index]!], null);
  return body.slice('{"data":['.length, -'],"meta":null}'.length);
}

describeSinkContract('kafka-sink', () => makeSink(), {
  verifyDelivered: async (sink, batch) => {
    const records = await readTopic(kafka.address, (sink as KafkaSink).topicOf('configmaps'));
    batch.items.forEach((change, index) => {
      const found = records.filter((record) => record.key === change.uniqueId);
      expect(found.length, `a record keyed ${change.uniqueId}`).toBeGreaterThan(0);
      expect(found.at(-1)!.value).toBe(change.event === 'delete' ? undefined : expectedValue(batch, index));
    });
  },
  cleanup: (sink) => sink.close?.(lifecycle()),
});

describe('kafka-sink against a real broker', () => {
  it('writes one record per change keyed by uniqueId, a tombstone on delete, so the compacted view is the inventory', async () => {
    const sink = makeSink();
    await sink.start?.(lifecycle());
    const first = contractBatch([contractChange('add', 'a', 1), contractChange('add', 'b', 1), contractChange('add', 'c', 1)]);
    const second = contractBatch([contractChange('update', 'a', 2), contractChange('delete', 'b', 1)]);
    expect(await sink.send(first, sendContext())).toEqual({ status: 'delivered' });
    expect(await sink.send(second, sendContext())).toEqual({ status: 'delivered' });
    const records = await readTopic(kafka.address, sink.topicOf('configmaps'));
    expect(records.map((r) => r.key)).toEqual(['test-uid-a', 'test-uid-b', 'test-uid-c', 'test-uid-a', 'test-uid-b']);
    const view = latestByKey(records);
    expect([...view.keys()].sort()).toEqual(['test-uid-a', 'test-uid-c']);
    expect(JSON.parse(view.get('test-uid-a')!)).toMatchObject({ event: 'update', uniqueId: 'test-uid-a', data: { data: { value: 2 } } });
    await sink.close?.(lifecycle());
  });

  it('puts CloudEvents attributes in ce_* headers and the object in the value (binary mode)', async () => {
    const sink = makeSink({ format: 'cloudevents', clusterName: 'prod-eu' });
    await sink.start?.(lifecycle());
    const batch = contractBatch([contractChange('add', 'ce', 1), contractChange('delete', 'gone', 1)]);
    expect(await sink.send(batch, sendContext())).toEqual({ status: 'delivered' });
    const [added, deleted] = await readTopic(kafka.address, sink.topicOf('configmaps'));
    expect(added!.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_source: 'prod-eu',
      ce_type: 'io.watch-proxy.configmaps.add',
      ce_subject: 'contract/ce',
      ce_uniqueid: 'test-uid-ce',
      ce_assettypeid: 'cm',
      'content-type': 'application/json',
    });
    expect(added!.headers['ce_id']).toBe(`test-uid-ce.add.${batch.items[0]!.fingerprint}`);
    expect(JSON.parse(added!.value!)).toEqual(batch.items[0]!.object);
    expect(deleted!.value).toBeUndefined();
    expect(deleted!.headers['ce_type']).toBe('io.watch-proxy.configmaps.delete');
    await sink.close?.(lifecycle());
  });

  it('routes each resource to its own topic with {resource}, and everything to one topic without it', async () => {
    const perResource = makeSink({ topic: `split-${++topics}.{resource}` });
    await perResource.start?.(lifecycle());
    const secret = { ...contractChange('add', 's', 1), resource: 'secrets', uniqueId: 'test-uid-s' };
    const batch = contractBatch([contractChange('add', 'cm', 1), Object.freeze(secret)]);
    expect(await perResource.send(batch, sendContext())).toEqual({ status: 'delivered' });
    expect((await readTopic(kafka.address, perResource.topicOf('configmaps'))).map((r) => r.key)).toEqual(['test-uid-cm']);
    expect((await readTopic(kafka.address, perResource.topicOf('secrets'))).map((r) => r.key)).toEqual(['test-uid-s']);
    await perResource.close?.(lifecycle());

    const single = makeSink({ topic: `single-${++topics}` });
    await single.start?.(lifecycle());
    expect(await single.send(batch, sendContext())).toEqual({ status: 'delivered' });
    expect(single.topicOf('secrets')).toBe(single.topicOf('configmaps'));
    expect((await readTopic(kafka.address, single.topicOf('configmaps'))).map((r) => r.key)).toEqual(['test-uid-cm', 'test-uid-s']);
    await single.close?.(lifecycle());
  });

  it('rejects a record over maxRecordBytes alone, naming its object, and delivers the rest of its batch', async () => {
    const sink = makeSink({ maxRecordBytes: 2000 });
    await sink.start?.(lifecycle());
    const batch = contractBatch([contractChange('add', 'small', 1), contractChange('add', 'huge', 'x'.repeat(5000)), contractChange('add', 'also-small', 1)]);
    const outcome = await sink.send(batch, sendContext());
    expect(outcome).toMatchObject({ status: 'partial', retry: [1] });
    if (outcome.status === 'partial') expect(outcome.error.message).toContain('configmaps|contract/huge (uniqueId test-uid-huge)');
    const alone = await sink.send(contractBatch([batch.items[1]!]), sendContext());
    expect(alone.status).toBe('rejected');
    expect((await readTopic(kafka.address, sink.topicOf('configmaps'))).map((r) => r.key)).toEqual(['test-uid-small', 'test-uid-also-small']);
    await sink.close?.(lifecycle());
  });

  it('classifies the broker refusing a record as too large: that record rejected, the others delivered', async () => {
    const sink = makeSink({ maxRecordBytes: 10_000_000 });
    await sink.start?.(lifecycle());
    const huge = contractChange('add', 'huge', 'x'.repeat(1_200_000));
    const batch = contractBatch([contractChange('add', 'before', 1), huge, contractChange('add', 'after', 1)]);
    const outcome = await sink.send(batch, sendContext());
    expect(outcome).toMatchObject({ status: 'partial', retry: [1] });
    const alone = await sink.send(contractBatch([huge]), sendContext());
    expect(alone.status).toBe('rejected');
    if (alone.status === 'rejected') expect(alone.error.message).toContain('configmaps|contract/huge');
    expect((await readTopic(kafka.address, sink.topicOf('configmaps'))).map((r) => r.key)).toEqual(['test-uid-before', 'test-uid-after']);
    await sink.close?.(lifecycle());
  });

  it('start() fails on a missing topic unless createTopics, and a missing per-resource topic is retryable', async () => {
    const fixed = makeSink({ topic: `missing-${++topics}`, createTopics: false });
    await expect(fixed.start!(lifecycle())).rejects.toThrow(/topic "missing-\d+" does not exist/);
    await fixed.close?.(lifecycle());

    const perResource = makeSink({ topic: `missing-${++topics}-{resource}`, createTopics: false });
    await perResource.start?.(lifecycle());
    const outcome = await perResource.send(contractBatch([contractChange('add', 'm', 1)]), sendContext());
    expect(outcome.status).toBe('retryable');
    await perResource.close?.(lifecycle());
  });

  it('start() fails when no broker answers', async () => {
    const sink = createKafkaSink({ brokers: ['127.0.0.1:1'], topic: 'nowhere', requestTimeoutMs: 2000 });
    await expect(sink.start!(lifecycle())).rejects.toThrow(/kafka sink kafka:nowhere: brokers 127\.0\.0\.1:1/);
  });

  it('is retryable while the broker is down and delivers after it restarts, nothing lost', async () => {
    const sink = makeSink({ requestTimeoutMs: 3000 });
    await sink.start?.(lifecycle());
    expect(await sink.send(contractBatch([contractChange('add', 'r1', 1)]), sendContext())).toEqual({ status: 'delivered' });
    await kafka.kill();
    const during = contractBatch([contractChange('add', 'r2', 1), contractChange('delete', 'r1', 1)]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('attempt timed out')), 10_000);
    const down = await sink.send(during, sendContext(controller.signal));
    clearTimeout(timer);
    expect(down.status).toBe('retryable');
    await kafka.start();
    // Core retries the same batch until delivered; do the same, bounded.
    let outcome = down;
    for (let attempt = 0; attempt < 30 && outcome.status !== 'delivered'; attempt++) {
      const retry = new AbortController();
      const retryTimer = setTimeout(() => retry.abort(new Error('attempt timed out')), 10_000);
      outcome = await sink.send(during, sendContext(retry.signal));
      clearTimeout(retryTimer);
    }
    expect(outcome).toEqual({ status: 'delivered' });
    const view = latestByKey(await readTopic(kafka.address, sink.topicOf('configmaps')));
    expect([...view.keys()]).toEqual(['test-uid-r2']);
    await sink.close?.(lifecycle());
  });
});
