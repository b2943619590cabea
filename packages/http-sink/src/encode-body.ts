import { buildMeta, encodeWatchProxyPayload, wrapVroPayload } from '@watch-proxy/core';
import type { Change } from '@watch-proxy/core';
import { CLOUDEVENTS_BATCH_CONTENT_TYPE, encodeCloudEventsBatch } from './cloudevents.js';
import type { HttpPayloadFormat } from './options.js';

/** Turns a batch's changes into the request body text, and says which Content-Type that is. */
export interface BodyEncoder {
  readonly contentType: string;
  encode(items: readonly Change[]): string;
}

/**
 * The encoder for one endpoint: the original payload (wrapped for `vro`), or a CloudEvents batch. `meta` is built
 * once, since it is the same on every request.
 */
export function createBodyEncoder(
  type: 'http' | 'vro',
  format: HttpPayloadFormat,
  clusterName: string,
  metadata: Readonly<Record<string, unknown>> | null | undefined,
): BodyEncoder {
  if (format === 'cloudevents') {
    return { contentType: CLOUDEVENTS_BATCH_CONTENT_TYPE, encode: (items) => encodeCloudEventsBatch(items, clusterName) };
  }
  const meta = buildMeta(metadata, clusterName);
  if (type === 'vro') return { contentType: 'application/json', encode: (items) => wrapVroPayload(encodeWatchProxyPayload(items, meta)) };
  return { contentType: 'application/json', encode: (items) => encodeWatchProxyPayload(items, meta) };
}
