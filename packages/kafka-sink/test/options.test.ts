import { describe, expect, it } from 'vitest';
import { encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { contractChange } from '@watch-proxy/core/testing';
import { createKafkaSink, encodeRecord, topicFor } from '../src/index.js';

describe('kafka-sink options', () => {
  it.each([
    [{ brokers: [], topic: 't' }, /at least one "host:port"/],
    [{ brokers: ['localhost'], topic: 't' }, /broker "localhost" is not "host:port"/],
    [{ brokers: ['h:1'], topic: 'bad topic' }, /not a valid Kafka topic name/],
    [{ brokers: ['h:1'], topic: 't', maxRecordBytes: 0 }, /maxRecordBytes must be a positive integer/],
    [{ brokers: ['h:1'], topic: 't', sasl: { mechanism: 'PLAIN' as const, username: 'u', password: '' } }, /non-empty username and password/],
  ])('refuses %j', (options, message) => {
    expect(() => createKafkaSink(options)).toThrow(message);
  });

  it('names itself after its topic by default', () => {
    expect(createKafkaSink({ brokers: ['h:9092'], topic: 'k8s.{resource}' }).name).toBe('kafka:k8s.{resource}');
  });

  it('tells core its request timeout, so core waits that long for an attempt before aborting it', () => {
    expect(createKafkaSink({ brokers: ['h:9092'], topic: 't' }).timeoutMs).toBe(10_000);
    expect(createKafkaSink({ brokers: ['h:9092'], topic: 't', requestTimeoutMs: 45_000 }).timeoutMs).toBe(45_000);
  });

  it('makes a legal topic per resource', () => {
    expect(topicFor('k8s.{resource}', 'deployments.apps')).toBe('k8s.deployments.apps');
    expect(topicFor('k8s.{resource}', 'weird/name')).toBe('k8s.weird_name');
    expect(topicFor('inventory', 'pods')).toBe('inventory');
  });
});

describe('kafka record encoding', () => {
  it('the watch-proxy value is exactly one item of the payload, the key the uniqueId, a delete a tombstone', () => {
    const change = contractChange('update', 'a', 'ünï <&>');
    const body = encodeWatchProxyPayload([change], null);
    const item = body.slice('{"data":['.length, -'],"meta":null}'.length);
    const record = encodeRecord(change, 'watch-proxy', '');
    expect(record.key.toString()).toBe('test-uid-a');
    expect(record.value?.toString('utf8')).toBe(item);
    expect(record.bytes).toBe(record.key.length + record.value!.length);
    expect(encodeRecord(contractChange('delete', 'a'), 'watch-proxy', '').value).toBeUndefined();
  });

  it('cloudevents headers carry ce_clusteruid only with a cluster uid (clusterUid)', () => {
    const change = contractChange('update', 'a');
    const header = (uid?: string) =>
      [...encodeRecord(change, 'cloudevents', 'c1', uid).headers].find(([name]) => name.toString() === 'ce_clusteruid')?.[1].toString();
    expect(header()).toBeUndefined();
    expect(header('uid-1')).toBe('uid-1');
  });
});
