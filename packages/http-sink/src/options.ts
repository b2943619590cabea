import type { Logger } from '@watch-proxy/core';

/** A header value: a literal, or the name of an environment variable to read it from (once, at creation). */
export type HeaderValue = string | { readonly env: string };

/** TLS settings for `https:` URLs (ignored, with a warning at `start()`, for `http:`). Files are read once, at creation. */
export interface HttpSinkTlsOptions {
  /** PEM file of the CA(s) to trust for the server certificate, instead of Node's default roots. */
  readonly caFile?: string | null | undefined;
  /** PEM client certificate for mutual TLS. Needs `keyFile`. */
  readonly certFile?: string | null | undefined;
  /** PEM private key of `certFile`. */
  readonly keyFile?: string | null | undefined;
  /**
   * Accept any server certificate. Disables the protection TLS exists for: for throwaway test setups only.
   * A warning is logged at `start()`. Default: false.
   */
  readonly insecureSkipVerify?: boolean;
}

/**
 * Endpoint types: `http` POSTs the payload as is; `vro` wraps it for a vRealize Orchestrator workflow
 * execution (the original's `vro`). `sqs` is accepted by the type only so that a config naming it gets a clear
 * "out of scope" error rather than a generic one.
 */
export type HttpEndpointType = 'http' | 'vro' | 'sqs';

/**
 * Wire formats: `watch-proxy` is the original body, byte for byte; `cloudevents` is a batch of CloudEvents 1.0
 * (`application/cloudevents-batch+json`).
 */
export type HttpPayloadFormat = 'watch-proxy' | 'cloudevents';

/** Request body compression. `gzip` sets `Content-Encoding: gzip`. */
export type HttpCompression = 'none' | 'gzip';

/**
 * Options of {@link createHttpSink}. Only `url` is required. Optional settings also accept `null` or `undefined` for
 * "unset", so a parsed config can be passed through as it is.
 */
export interface HttpSinkOptions {
  /** The POST target, used verbatim. `http:` or `https:`. */
  readonly url: string;
  /** Sink name, unique within one WatchProxy and stable across restarts (keys the emit cache). Default: `http`. */
  readonly name?: string;
  /** Default: `http`. */
  readonly type?: HttpEndpointType;
  /** Default: `watch-proxy`. `vro` supports only `watch-proxy`. */
  readonly format?: HttpPayloadFormat;
  /** The config's `clusterName`: `meta.cluster` and the CloudEvents `source`. Default: `''`. */
  readonly clusterName?: string;
  /** The config's top-level `metadata`, sent as `meta` (with `cluster` added). Default: none (`meta` is null). */
  readonly metadata?: Readonly<Record<string, unknown>> | null | undefined;
  /**
   * Name of the environment variable holding the basic-auth username. Read once at creation, one trailing
   * newline stripped; basic auth is sent only when the username is non-empty. A missing variable is an error.
   */
  readonly usernameVar?: string | null | undefined;
  /** Name of the environment variable holding the basic-auth password. Same rules as `usernameVar`. */
  readonly passwordVar?: string | null | undefined;
  /** Name of the environment variable holding a bearer token (`Authorization: Bearer …`). Read once. */
  readonly bearerTokenVar?: string | null | undefined;
  /**
   * File holding a bearer token, re-read whenever it changes (rotated Kubernetes service-account or projected
   * tokens). One trailing newline stripped. Exclusive with `bearerTokenVar` and basic auth.
   */
  readonly bearerTokenFile?: string | null | undefined;
  /** Extra request headers. They cannot replace the ones the sink owns (content, auth, signature headers). */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  readonly tls?: HttpSinkTlsOptions;
  /** Per-request timeout, including reading the response, in milliseconds. Default: 5000 (the original's). */
  readonly timeoutMs?: number;
  /**
   * Statuses that count as delivered. Default: any 2xx. `[200]` reproduces the original, which treated every
   * other status (201, 202, 204 included) as a failure.
   */
  readonly successStatusCodes?: readonly number[] | null | undefined;
  /** Default: `none`. */
  readonly compression?: HttpCompression;
  /**
   * Name of the environment variable holding the HMAC-SHA256 signing secret. When set, every request carries
   * `X-Watch-Proxy-Timestamp` and `X-Watch-Proxy-Signature` (recipe in docs/payload.md). Read once.
   */
  readonly signingSecretVar?: string | null | undefined;
  /** Header carrying the batch id, the same on every retry of a batch. Default: `Idempotency-Key`. */
  readonly idempotencyKeyHeader?: string;
  /**
   * What `start()` checks: `connect` opens one connection (TCP, and the TLS handshake for `https:`); a TLS trust
   * failure (wrong CA, certificate name or dates) fails the start, an unreachable endpoint is logged as a warning
   * (it may come up later; core retries). `none` checks nothing. No request is sent either way. Default: `connect`.
   */
  readonly startupCheck?: 'connect' | 'none';
  /** Batch limits for core's batcher. Default: none (core's own limits apply). */
  readonly limits?: { readonly maxItems?: number; readonly maxBytes?: number };
  /** Environment to read the `*Var` options from. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Logger for creation-time warnings (e.g. `insecureSkipVerify`). Default: none; `start()` warns too. */
  readonly logger?: Logger;
}
