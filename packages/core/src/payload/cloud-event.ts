import type { Change } from '../types.js';
import { encodeCanonicalJson } from './canonical-json.js';

/** Content type of one CloudEvent in the JSON event format (structured content mode). */
export const CLOUDEVENT_JSON_CONTENT_TYPE = 'application/cloudevents+json';

/**
 * The CloudEvents 1.0 context attributes of a change, in the order every sink writes them: `specversion`, `id`
 * (`<uniqueId>.<event>.<fingerprint>`: the same object state gives the same id on every retry and re-send, so a
 * receiver can deduplicate on it), `source` (the cluster name, `watch-proxy` when empty), `type`
 * (`io.watch-proxy.<resource>.<add|update|delete>`), `subject` (`<namespace>/<name>`, or `<name>`), `time` (when
 * the change was observed, RFC 3339), and the extensions `uniqueid`, when set `assettypeid`, and with `clusterUid`
 * `clusteruid` (the cluster's `kube-system` Namespace UID, `Batch.cluster.uid`).
 *
 * One definition for the HTTP sink's batches, Kafka's `ce_*` headers and NATS's structured events.
 *
 * @param clusterUid - the batch's `cluster.uid`; absent (the default) writes no `clusteruid`.
 */
export function cloudEventAttributes(change: Change, clusterName: string, clusterUid?: string): Readonly<Record<string, string>> {
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: `${change.uniqueId}.${change.event}.${change.fingerprint}`,
    source: clusterName === '' ? 'watch-proxy' : clusterName,
    type: `io.watch-proxy.${change.resource}.${change.event}`,
    subject: change.namespace === '' ? change.name : `${change.namespace}/${change.name}`,
    time: new Date(change.observedAt).toISOString(),
    uniqueid: change.uniqueId,
  };
  if (change.assetId !== '') attributes['assettypeid'] = change.assetId;
  if (clusterUid !== undefined) attributes['clusteruid'] = clusterUid;
  return attributes;
}

/**
 * A change as one CloudEvent object of the JSON event format: the attributes of {@link cloudEventAttributes},
 * `datacontenttype: application/json` and `data` (the object; for a delete, the state last delivered).
 */
export function cloudEventOf(change: Change, clusterName: string, clusterUid?: string): Record<string, unknown> {
  return { ...cloudEventAttributes(change, clusterName, clusterUid), datacontenttype: 'application/json', data: change.object };
}

/** {@link cloudEventOf} encoded as canonical JSON (keys sorted, Go's escaping): a structured-mode message body. */
export function encodeCloudEvent(change: Change, clusterName: string, clusterUid?: string): string {
  return encodeCanonicalJson(cloudEventOf(change, clusterName, clusterUid));
}
