/**
 * The normalized `type: kafka` and `type: nats` endpoints: the schema's output with durations in milliseconds, a
 * final name, and `tls` either absent or a mapping. Credentials are only named (env vars, files), like HTTP
 * endpoints; their types are derived from the schema (see `types.ts`).
 */
import type { KafkaEndpointFile } from './kafka-endpoint-schema.js';
import { subjectTemplate } from './nats-endpoint-schema.js';
import type { NatsEndpointFile } from './nats-endpoint-schema.js';

/** A `tls` key of a broker endpoint: `true` is TLS with the defaults, `false` or absent no TLS. */
function tlsOf<T extends object>(tls: boolean | T | undefined, on: NoInfer<T>): T | undefined {
  return tls === true ? on : tls === false ? undefined : tls;
}

/** The default name of a Kafka endpoint (before de-duplication): its topic carries no secret, its brokers may change. */
export function defaultKafkaEndpointName(file: Pick<KafkaEndpointFile, 'topic'>): string {
  return `kafka:${file.topic}`;
}

/** The default name of a NATS endpoint (before de-duplication). */
export function defaultNatsEndpointName(file: Pick<NatsEndpointFile, 'subject'>): string {
  return `nats:${subjectTemplate(file.subject)}`;
}

/** Normalizes a parsed `type: kafka` entry; `name` is the endpoint's final (unique) name. */
export function toKafkaEndpoint(file: KafkaEndpointFile, name: string) {
  const { timeout, tls, ...keys } = file;
  return {
    ...keys,
    name,
    /** Always `undefined`: broker endpoints never had another default name. */
    formerName: undefined,
    /** Per-request timeout in milliseconds. */
    timeoutMs: timeout,
    /** TLS towards the brokers; `undefined` (default) = plaintext. */
    tls: tlsOf(tls, { insecureSkipVerify: false }),
  };
}

/** Normalizes a parsed `type: nats` entry; `name` is the endpoint's final (unique) name. */
export function toNatsEndpoint(file: NatsEndpointFile, name: string) {
  const { timeout, tls, url, subject, ...keys } = file;
  return {
    ...keys,
    name,
    /** Always `undefined`: broker endpoints never had another default name. */
    formerName: undefined,
    /** Server URLs (`nats://`, `tls://`), without credentials. */
    urls: typeof url === 'string' ? [url] : url,
    /** Subject template with `{cluster}`, `{resource}`, `{event}` (a prefix in the file gets them appended). */
    subject: subjectTemplate(subject),
    /** Connect and acknowledgement timeout in milliseconds. */
    timeoutMs: timeout,
    /** TLS; `undefined` (default) = as the URL says. */
    tls: tlsOf(tls, {}),
  };
}
