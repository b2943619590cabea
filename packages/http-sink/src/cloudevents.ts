import { encodeCanonicalJson } from '@watch-proxy/core';
import type { Change } from '@watch-proxy/core';

/** Content type of a batched CloudEvents JSON body. */
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/** `datacontenttype` of an event whose `data` is a JSON Patch (RFC 6902), with `deltaUpdates`. */
export const JSON_PATCH_CONTENT_TYPE = 'application/json-patch+json';

/**
 * Encodes changes as a CloudEvents 1.0 JSON batch: one event per change, `type`
 * `io.watch-proxy.<resource>.<add|update|delete>`, `source` the cluster name (`watch-proxy` when unset),
 * `subject` `<namespace>/<name>` (or `<name>`), `time` when the change was observed, `data` the object as in the
 * original payload. `id` is `<uniqueId>.<event>.<fingerprint>`: the same object state gives the same id on every
 * retry and re-send, so a receiver can deduplicate on it. Extensions: `uniqueid`, and `assettypeid` when set.
 *
 * With `deltaUpdates` (a change with a `delta`), every event also carries the `fingerprint` extension, and a patch
 * carries the JSON Patch as `data` with `datacontenttype` `application/json-patch+json`, the `basefingerprint`
 * extension, and the id `<uniqueId>.<event>.<basefingerprint>.<fingerprint>`.
 */
export function encodeCloudEventsBatch(items: readonly Change[], clusterName: string): string {
  const source = clusterName === '' ? 'watch-proxy' : clusterName;
  const events = items.map((change) => {
    const patch = change.delta?.form === 'patch' ? change.delta : undefined;
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: `${change.uniqueId}.${change.event}.${patch === undefined ? '' : `${patch.baseFingerprint}.`}${change.fingerprint}`,
      source,
      type: `io.watch-proxy.${change.resource}.${change.event}`,
      subject: change.namespace === '' ? change.name : `${change.namespace}/${change.name}`,
      time: new Date(change.observedAt).toISOString(),
      datacontenttype: patch === undefined ? 'application/json' : JSON_PATCH_CONTENT_TYPE,
      uniqueid: change.uniqueId,
      data: patch === undefined ? change.object : patch.patch,
    };
    if (change.assetId !== '') event['assettypeid'] = change.assetId;
    if (change.delta !== undefined) event['fingerprint'] = change.fingerprint;
    if (patch !== undefined) event['basefingerprint'] = patch.baseFingerprint;
    return event;
  });
  return encodeCanonicalJson(events);
}
