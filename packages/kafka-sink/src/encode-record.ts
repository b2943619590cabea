import { canonicalJson, cloudEventAttributes, encodeWatchProxyItem } from '@watch-proxy/core/payload';
import type { Change } from '@watch-proxy/core';
import type { KafkaPayloadFormat } from './options.js';

/** One Kafka record for one change: key, value (`undefined` is a tombstone) and headers. */
export interface KafkaRecord {
  readonly key: Buffer;
  readonly value: Buffer | undefined;
  readonly headers: Map<Buffer, Buffer>;
  /** Key + value + header bytes: what counts against the broker's `max.message.bytes`. */
  readonly bytes: number;
}

/**
 * The record of a change. The key is the object's uniqueId (cluster + uid), so all changes of one object land on
 * one partition in order, and compaction keeps only its latest state. A delete is a tombstone (no value).
 *
 * `watch-proxy`: the value is the change as one item of the payload's `data` array, byte for byte as
 * `encodeWatchProxyPayload` writes it. `cloudevents`: binary mode, the value is the object's canonical JSON and
 * the attributes are `ce_*` headers (as in the HTTP sink's CloudEvents, `id` repeats for the same state;
 * `ce_clusteruid` with `clusterUid`, the batch's `cluster.uid`).
 */
export function encodeRecord(change: Change, format: KafkaPayloadFormat, clusterName: string, clusterUid?: string): KafkaRecord {
  const key = Buffer.from(change.uniqueId, 'utf8');
  const headers = new Map<Buffer, Buffer>();
  let value: Buffer | undefined;
  if (format === 'cloudevents') {
    const attributes = Object.entries(cloudEventAttributes(change, clusterName, clusterUid)).map(([name, text]): [string, string] => [`ce_${name}`, text]);
    if (change.event !== 'delete') attributes.push(['content-type', 'application/json']);
    for (const [name, text] of attributes) headers.set(Buffer.from(name, 'utf8'), Buffer.from(text, 'utf8'));
    if (change.event !== 'delete') value = Buffer.from(canonicalJson(change.object), 'utf8');
  } else if (change.event !== 'delete') {
    value = Buffer.from(encodeWatchProxyItem(change), 'utf8');
  }
  let bytes = key.length + (value?.length ?? 0);
  for (const [name, text] of headers) bytes += name.length + text.length;
  return { key, value, headers, bytes };
}
