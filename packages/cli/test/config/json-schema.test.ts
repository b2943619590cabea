import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { configJsonSchema, configJsonSchemaText, knownKeysAt } from '../../src/config/json-schema.js';

const committed = readFileSync(new URL('../../schema/watch-proxy.schema.json', import.meta.url), 'utf8');

/** Every `properties` entry in the schema, with its dotted location. */
function properties(node: unknown, at: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (Array.isArray(node)) {
    node.forEach((child, i) => properties(child, `${at}[${String(i)}]`, out));
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, child] of Object.entries(node)) {
      if (key === 'properties' && typeof child === 'object' && child !== null) {
        for (const [name, schema] of Object.entries(child)) {
          out.push([`${at}.${name}`, schema as Record<string, unknown>]);
          properties(schema, `${at}.${name}`, out);
        }
      } else {
        properties(child, `${at}.${key}`, out);
      }
    }
  }
  return out;
}

describe('the committed JSON Schema', () => {
  it('matches the zod schema (run `pnpm --filter watch-proxy gen:schema` after changing it)', () => {
    expect(committed).toBe(configJsonSchemaText());
  });

  it('documents every property', () => {
    const all = properties(configJsonSchema(), '$');
    expect(all.length).toBeGreaterThan(50);
    const undocumented = all.filter(([, schema]) => typeof schema['description'] !== 'string' || schema['description'] === '').map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('lists the original keys and the new ones', () => {
    const top = knownKeysAt([]);
    for (const key of ['clusterName', 'emitInterval', 'emitBatchMaxObjects', 'emitCacheDuration', 'forceReuploadDuration', 'delayAddEventDuration', 'deltaUpdates', 'metadata', 'ignoreNamespaces', 'prometheusMetrics', 'httpLiveness', 'remoteEndpoints', 'resources', 'stateDir', 'emitBatchMaxBytes', 'shutdownGracePeriod']) {
      expect(top).toContain(key);
    }
    expect(knownKeysAt(['remoteEndpoints', 0])).toEqual(expect.arrayContaining(['type', 'url', 'usernameVar', 'passwordVar', 'namespaces', 'resourceTypes', 'region', 'headers', 'tls', 'format']));
    const file = { remoteEndpoints: [{ url: 'http://x/' }, { type: 'kafka' }, { type: 'nats' }] };
    expect(knownKeysAt(['remoteEndpoints', 0, 'tls'], file)).toEqual(['caFile', 'certFile', 'keyFile', 'insecureSkipVerify']);
    expect(knownKeysAt(['remoteEndpoints', 1, 'tls'], file)).toEqual(['caFile', 'certFile', 'keyFile', 'insecureSkipVerify', 'serverName']);
    expect(knownKeysAt(['remoteEndpoints', 1], file)).toEqual(expect.arrayContaining(['brokers', 'topic', 'sasl', 'createTopics']));
    expect(knownKeysAt(['remoteEndpoints', 1], file)).not.toContain('url');
    expect(knownKeysAt(['remoteEndpoints', 2], file)).toEqual(expect.arrayContaining(['url', 'subject', 'kvBucket', 'stream']));
    expect(knownKeysAt(['resources', 3])).toEqual(expect.arrayContaining(['name', 'assetId', 'pruneFields', 'filterEvents', 'labelSelector']));
    expect(knownKeysAt(['nope'])).toEqual([]);
  });

  it('keeps defaulted keys optional and does not offer sqs', () => {
    type Item = { required: string[]; properties: { type: { enum?: string[]; const?: string } } };
    const schema = configJsonSchema() as { required?: unknown; properties: { remoteEndpoints: { items: { oneOf: Item[] } } } };
    expect(schema.required).toBeUndefined();
    const [http, kafka, nats] = schema.properties.remoteEndpoints.items.oneOf;
    expect(http?.required).toEqual(['url']);
    expect(http?.properties.type.enum).toEqual(['http', 'vro']);
    expect([kafka?.properties.type.const, kafka?.required]).toEqual(['kafka', ['type', 'brokers', 'topic']]);
    expect([nats?.properties.type.const, nats?.required]).toEqual(['nats', ['type', 'url']]);
  });
});
