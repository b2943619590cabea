import type { Logger } from '@watch-proxy/core';

/** TLS towards the NATS servers. PEM text (not file names): the daemon reads the files. */
export interface NatsTlsOptions {
  /** CA bundle that verifies the servers' certificates. Default: Node's trusted CAs. */
  readonly ca?: string;
  /** Client certificate for mutual TLS (with `key`). */
  readonly cert?: string;
  /** Client private key for mutual TLS (with `cert`). */
  readonly key?: string;
}

/** What each message carries: a watch-proxy payload item, or a CloudEvent (structured mode). */
export type NatsPayloadFormat = 'watch-proxy' | 'cloudevents';

/** Options of {@link createNatsSink}. */
export interface NatsSinkOptions {
  /** The sink's name; keys its emit cache. Default `nats:<subject>`. */
  readonly name?: string;
  /** Server URL(s), `nats://host:port` (`tls://` for TLS). At least one. */
  readonly servers: string | readonly string[];
  /**
   * Subject of each change's message. `{cluster}`, `{resource}` and `{event}` are replaced (`.` and other
   * characters NATS gives meaning to become `_` inside a value). Default `watch-proxy.{cluster}.{resource}.{event}`.
   */
  readonly subject?: string;
  /**
   * Message format: `watch-proxy` (one watch-proxy payload item per message) or `cloudevents` (one CloudEvent in
   * the JSON event format, content type `application/cloudevents+json`). The KV bucket holds the same body.
   * Default `watch-proxy`.
   */
  readonly format?: NatsPayloadFormat;
  /** `{cluster}` in the subject; default `default` when empty. */
  readonly clusterName?: string;
  /**
   * The JetStream stream that must capture the subjects. Default `WATCH_PROXY`. `start()` fails when no stream
   * captures them, unless `createStream` is set.
   */
  readonly stream?: string;
  /** Create `stream` (capturing the subject with every placeholder as `*`) when no stream captures it. Default false. */
  readonly createStream?: boolean;
  /**
   * A JetStream KV bucket that holds the latest state of each object (key: its uniqueId, value: the change's
   * message body); a delete is a KV delete. Default: none.
   */
  readonly kvBucket?: string;
  /** Create `kvBucket` when it does not exist. Default false. */
  readonly createKvBucket?: boolean;
  /** User and password. Never logged. */
  readonly user?: string;
  readonly pass?: string;
  /** Token authentication. Never logged. */
  readonly token?: string;
  /** TLS towards the servers; `true` for TLS with Node's trusted CAs. Default: as the URL says. */
  readonly tls?: boolean | NatsTlsOptions;
  /** How long to wait for the connection and for each acknowledgement, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Batch limits for core's batcher (see the Sink contract). */
  readonly limits?: { readonly maxItems?: number; readonly maxBytes?: number };
  /** Where creation-time warnings go. */
  readonly logger?: Logger;
}
