import { CLOUDEVENT_JSON_CONTENT_TYPE, encodeCloudEvent, encodeWatchProxyItem } from '@watch-proxy/core/payload';
import type { Change } from '@watch-proxy/core';
import type { NatsPayloadFormat } from './options.js';

/** Default subject template. */
export const DEFAULT_SUBJECT = 'watch-proxy.{cluster}.{resource}.{event}';

/**
 * Why `template` cannot be a subject template, or undefined when it can: a NATS subject has no whitespace, no
 * empty tokens and, for publishing, no wildcards (`*`, `>`).
 */
export function subjectTemplateProblem(template: string): string | undefined {
  if (template === '' || /\s|\.\.|^\.|\.$/.test(template) || /[*>]/.test(template)) {
    return `subject "${template}" is not a NATS subject (no spaces, empty tokens or wildcards)`;
  }
  return undefined;
}

/** A value inside one subject token: NATS separates tokens with `.` and gives `*`, `>` and whitespace meaning. */
export function subjectToken(value: string): string {
  const token = value.replace(/[.*>\s]/g, '_');
  return token === '' ? '_' : token;
}

/** The subject of a change: the template's `{cluster}`, `{resource}` and `{event}` replaced. */
export function subjectFor(template: string, clusterName: string, change: Pick<Change, 'resource' | 'event'>): string {
  return template
    .split('{cluster}')
    .join(subjectToken(clusterName))
    .split('{resource}')
    .join(subjectToken(change.resource))
    .split('{event}')
    .join(change.event);
}

/** The subject filter a stream needs to capture every subject of `template`: each placeholder as `*`. */
export function subjectFilter(template: string): string {
  return template.replace(/\{cluster\}|\{resource\}|\{event\}/g, '*');
}

/**
 * The JetStream message id of a change: the same change (the same object version and event) gets the same id
 * on every re-send, so the server drops a re-send after a restart within the stream's duplicate window. The
 * object's resourceVersion tells versions apart (a state that comes back, A -> B -> A, is a new version); the
 * content fingerprint stands in when pruning removed it.
 */
export function messageId(change: Change): string {
  const metadata = (change.object as { metadata?: { resourceVersion?: unknown } }).metadata;
  const version = typeof metadata?.resourceVersion === 'string' && metadata.resourceVersion !== '' ? `rv${metadata.resourceVersion}` : change.fingerprint;
  return `${change.uniqueId}.${change.event}.${version}`;
}

/** The KV key of an object: its uniqueId, with characters KV keys do not allow as `_`. */
export function kvKey(uniqueId: string): string {
  return uniqueId.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
}

/** A message body and the content type it is sent with (a `Content-Type` header; none for the watch-proxy item). */
export interface EncodedMessage {
  readonly data: string;
  readonly contentType: string | undefined;
}

/**
 * The message of a change. `watch-proxy`: one watch-proxy payload item, byte for byte as inside an HTTP batch.
 * `cloudevents`: one CloudEvent in structured mode (the JSON event format, `application/cloudevents+json`), the
 * mode the CloudEvents NATS binding 1.0 defines; its attributes are the HTTP and Kafka sinks' own, and a delete
 * carries the state last delivered as `data`.
 */
export function encodeMessage(change: Change, format: NatsPayloadFormat, clusterName: string, clusterUid?: string): EncodedMessage {
  return format === 'cloudevents'
    ? { data: encodeCloudEvent(change, clusterName, clusterUid), contentType: CLOUDEVENT_JSON_CONTENT_TYPE }
    : { data: encodeWatchProxyItem(change), contentType: undefined };
}
