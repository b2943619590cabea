import { buildClusterMeta, buildMeta, encodeWatchProxyPayload, wrapVroPayload } from '@watch-proxy/core/payload';
import type { BatchCluster, Change } from '@watch-proxy/core';
import { CLOUDEVENTS_BATCH_CONTENT_TYPE, encodeCloudEventsBatch } from './cloudevents.js';
import type { HttpPayloadFormat } from './options.js';

/** Turns a batch's changes into the request body (UTF-8 bytes), and says which Content-Type that is. */
export interface BodyEncoder {
  readonly contentType: string;
  /**
   * `cluster`: the batch's cluster (`Batch.cluster`, from a proxy that watches several): its name replaces the
   * endpoint's `clusterName` in `meta.cluster` (and the CloudEvents `source`), its metadata is merged over the
   * endpoint's `metadata`. Absent: the endpoint's own, as always.
   */
  encode(items: readonly Change[], cluster?: BatchCluster): Buffer;
}

/**
 * The encoder for one endpoint: the original payload (wrapped for `vro`), or a CloudEvents batch. `meta` is built
 * once per cluster (once in all without clusters), since it is the same on every request from it.
 */
export function createBodyEncoder(
  type: 'http' | 'vro',
  format: HttpPayloadFormat,
  clusterName: string,
  metadata: Readonly<Record<string, unknown>> | null | undefined,
): BodyEncoder {
  if (format === 'cloudevents') {
    return {
      contentType: CLOUDEVENTS_BATCH_CONTENT_TYPE,
      encode: (items, cluster) => Buffer.from(encodeCloudEventsBatch(items, cluster?.name ?? clusterName, cluster?.uid), 'utf8'),
    };
  }
  const own = buildMeta(metadata, clusterName);
  // Batch clusters are the proxy's frozen objects, one per cluster: their meta is built once each.
  const metas = new WeakMap<BatchCluster, Record<string, unknown> | null>();
  const metaOf = (cluster: BatchCluster | undefined): Record<string, unknown> | null => {
    if (cluster === undefined) return own;
    let meta = metas.get(cluster);
    if (meta === undefined) {
      meta = buildClusterMeta(metadata, cluster);
      metas.set(cluster, meta);
    }
    return meta;
  };
  if (type === 'vro') {
    return { contentType: 'application/json', encode: (items, cluster) => Buffer.from(wrapVroPayload(encodeWatchProxyPayload(items, metaOf(cluster))), 'utf8') };
  }
  // Straight to bytes: a batch's text is never joined into one large string only to be encoded again.
  return { contentType: 'application/json', encode: (items, cluster) => encodeWatchProxyPayload(items, metaOf(cluster), 'buffer') };
}
