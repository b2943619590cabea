import { encodeCanonicalJson } from '@watch-proxy/core';
import type { Change } from '@watch-proxy/core';

/** Content type of a batched CloudEvents JSON body. */
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/**
 * Encodes changes as a CloudEvents 1.0 JSON batch: one event per change, `type`
 * `io.watch-proxy.<resource>.<add|update|delete>`, `source` the cluster name (`watch-proxy` when unset),
 * `subject` `<namespace>/<name>` (or `<name>`), `time` when the change was observed, `data` the object as in the
 * original payload. `id` is `<uniqueId>.<event>.<fingerprint>`: the same object state gives the same id on every
 * retry and re-send, so a receiver can deduplicate on it. Extensions: `uniqueid`, and `assettypeid` when set.
 */
export function encodeCloudEventsBatch(items: readonly Change[], clusterName: string): string {
  const source = clusterName === '' ? 'watch-proxy' : clusterName;
  const events = items.map((change) => {
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: `${change.uniqueId}.${change.event}.${change.fingerprint}`,
      source,
      type: `io.watch-proxy.${change.resource}.${change.event}`,
      subject: change.namespace === '' ? change.name : `${change.namespace}/${change.name}`,
      time: new Date(change.observedAt).toISOString(),
      datacontenttype: 'application/json',
      uniqueid: change.uniqueId,
      data: change.object,
    };
    if (change.assetId !== '') event['assettypeid'] = change.assetId;
    return event;
  });
  return encodeCanonicalJson(events);
}
