import { cloudEventOf, encodeCanonicalJson } from '@watch-proxy/core/payload';
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
 * retry and re-send, so a receiver can deduplicate on it. Extensions: `uniqueid`, `assettypeid` when set, and
 * `clusteruid` when `clusterUid` is given (the batch's `cluster.uid`).
 *
 * With `deltaUpdates` (a change with a `delta`), every event also carries the `fingerprint` extension, and a patch
 * carries the JSON Patch as `data` with `datacontenttype` `application/json-patch+json`, the `basefingerprint`
 * extension, and the id `<uniqueId>.<event>.<basefingerprint>.<fingerprint>`.
 */
export function encodeCloudEventsBatch(items: readonly Change[], clusterName: string, clusterUid?: string): string {
  return encodeCanonicalJson(
    items.map((change) => {
      const event = cloudEventOf(change, clusterName, clusterUid);
      if (change.delta !== undefined) event['fingerprint'] = change.fingerprint;
      const patch = change.delta?.form === 'patch' ? change.delta : undefined;
      if (patch !== undefined) {
        event['id'] = `${change.uniqueId}.${change.event}.${patch.baseFingerprint}.${change.fingerprint}`;
        event['datacontenttype'] = JSON_PATCH_CONTENT_TYPE;
        event['data'] = patch.patch;
        event['basefingerprint'] = patch.baseFingerprint;
      }
      return event;
    }),
  );
}
