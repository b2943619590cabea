import { buildMeta, encodeWatchProxyPayload, wrapVroPayload } from '@watch-proxy/core/payload';
import type { Change } from '@watch-proxy/core';
import { CLOUDEVENTS_BATCH_CONTENT_TYPE, encodeCloudEventsBatch } from './cloudevents.js';
import type { HttpPayloadFormat } from './options.js';

/** Turns a batch's changes into the request body (UTF-8 bytes), and says which Content-Type that is. */
export interface BodyEncoder {
  readonly contentType: string;
  encode(items: readonly Change[]): Buffer;
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
    return { contentType: CLOUDEVENTS_BATCH_CONTENT_TYPE, encode: (items) => Buffer.from(encodeCloudEventsBatch(items, clusterName), 'utf8') };
  }
  const meta = buildMeta(metadata, clusterName);
  if (type === 'vro') return { contentType: 'application/json', encode: (items) => Buffer.from(wrapVroPayload(encodeWatchProxyPayload(items, meta)), 'utf8') };
  // Straight to bytes: a batch's text is never joined into one large string only to be encoded again.
  return { contentType: 'application/json', encode: (items) => encodeWatchProxyPayload(items, meta, 'buffer') };
}
