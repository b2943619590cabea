import { describe, expect, it } from 'vitest';
import { encodeCanonicalJson, encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { contractChange } from '@watch-proxy/core/testing';
import { createNatsSink, encodeMessage, messageId, subjectFilter, subjectFor } from '../src/index.js';

describe('nats-sink options', () => {
  it.each([
    [{ servers: [] }, /at least one URL/],
    [{ servers: 'nats://h:4222', subject: 'a.*.b' }, /not a NATS subject/],
    [{ servers: 'nats://h:4222', subject: 'a..b' }, /not a NATS subject/],
    [{ servers: 'nats://h:4222', timeoutMs: -1 }, /timeoutMs must be a positive integer/],
    [{ servers: 'nats://h:4222', user: 'u' }, /user and pass go together/],
    [{ servers: 'nats://h:4222', format: 'xml' as 'watch-proxy' }, /format must be "watch-proxy" or "cloudevents", got "xml"/],
  ])('refuses %j', (options, message) => {
    expect(() => createNatsSink(options)).toThrow(message);
  });

  it('tells core its timeout, so core waits that long for an attempt before aborting it', () => {
    expect(createNatsSink({ servers: 'nats://h:4222' }).timeoutMs).toBe(10_000);
    expect(createNatsSink({ servers: 'nats://h:4222', timeoutMs: 45_000 }).timeoutMs).toBe(45_000);
  });

  it('subjects: one token per placeholder, dots in values replaced', () => {
    const change = { resource: 'deployments.apps', event: 'update' as const };
    expect(subjectFor('watch-proxy.{cluster}.{resource}.{event}', 'prod.eu', change)).toBe('watch-proxy.prod_eu.deployments_apps.update');
    expect(subjectFilter('watch-proxy.{cluster}.{resource}.{event}')).toBe('watch-proxy.*.*.*');
    expect(createNatsSink({ servers: 'nats://h:4222' }).subjectOf(change)).toBe('watch-proxy.default.deployments_apps.update');
  });

  it('the message id is stable for one object version and differs when the version changes', () => {
    const a = contractChange('update', 'a', 1);
    expect(messageId(a)).toBe(messageId(contractChange('update', 'a', 1)));
    expect(messageId(a)).not.toBe(messageId(contractChange('update', 'a', 2)));
    expect(messageId(a)).not.toBe(messageId(contractChange('delete', 'a', 1)));
  });

  it('the message is one item of the watch-proxy payload, byte for byte', () => {
    const change = contractChange('add', 'x', 'ünï <&>');
    expect(encodeMessage(change, 'watch-proxy', 'c1')).toEqual({
      data: encodeWatchProxyPayload([change], null).slice('{"data":['.length, -'],"meta":null}'.length),
      contentType: undefined,
    });
  });

  it('format cloudevents: one structured CloudEvent per message, the attributes of the HTTP sink\'s events', () => {
    const change = { ...contractChange('delete', 'x', 3), assetId: 'cm' };
    const { data, contentType } = encodeMessage(change, 'cloudevents', 'c1');
    // clusterUid: the clusteruid extension, only when the batch's cluster has a uid.
    expect(JSON.parse(encodeMessage(change, 'cloudevents', 'c1', 'uid-1').data)).toMatchObject({ clusteruid: 'uid-1' });
    expect(JSON.parse(data)).not.toHaveProperty('clusteruid');
    expect(contentType).toBe('application/cloudevents+json');
    expect(JSON.parse(data)).toEqual({
      specversion: '1.0',
      id: `${change.uniqueId}.delete.${change.fingerprint}`,
      source: 'c1',
      type: 'io.watch-proxy.configmaps.delete',
      subject: `${change.namespace}/${change.name}`,
      time: new Date(change.observedAt).toISOString(),
      uniqueid: change.uniqueId,
      assettypeid: 'cm',
      datacontenttype: 'application/json',
      data: change.object,
    });
    // Canonical JSON (sorted keys, Go's escaping), like every other body watch-proxy writes.
    expect(data).toBe(encodeCanonicalJson(JSON.parse(data)));
  });
});
