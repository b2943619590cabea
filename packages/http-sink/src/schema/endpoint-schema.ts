import { z } from 'zod';

import { HEADER_NAME } from './header-name.js';

/** One hour in milliseconds: the longest per-attempt `timeout`. */
const HOUR_MS = 3_600_000;

/** How a `duration` field is read and bounded (the host's duration syntax, normalized to milliseconds). */
export interface EndpointDurationOptions {
  /** The value used when the key is absent, in the file's syntax (`'5s'`). */
  readonly default: string | number;
  /** Whether 0 is rejected. */
  readonly positive?: boolean;
  /** The largest value in ms, written as `text` in the file's syntax, and why it is there. */
  readonly max?: { readonly ms: number; readonly text: string; readonly why: string };
}

/**
 * The field builders of the host's config language: how its file writes a string, a whole number, a boolean, an
 * environment variable name and a duration (the CLI accepts YAML 1.1 booleans, numbers as text and Go durations).
 * The endpoint schema decides the keys, their meaning and their rules; the builders only how scalars are spelled.
 * Each attaches `description` as the JSON Schema description (`.meta({ description })`).
 */
export interface EndpointFieldBuilders {
  /** A string; a number or boolean written there is taken as its text. */
  text(description: string): z.ZodType<string>;
  /** A string that must not be empty. */
  nonEmptyText(description: string): z.ZodType<string>;
  /** The name of an environment variable (not its value). */
  envVarName(description: string): z.ZodType<string>;
  /** A boolean with a default. */
  flag(description: string, defaultValue: boolean): z.ZodType<boolean>;
  /** An integer. */
  wholeNumber(): z.ZodNumber;
  /** A duration, normalized to milliseconds. */
  duration(description: string, options: EndpointDurationOptions): z.ZodType<number>;
}

/**
 * The keys an HTTP endpoint of a config file has of its own (everything but `name`, `type`, routing and the
 * host's cross-sink keys), in the order the JSON Schema lists them: the URL, the auth variables and file, the
 * signing secret, extra headers, TLS, the per-attempt timeout, the success statuses, compression and the body
 * format. The host spreads them into its endpoint object; cross-key rules are {@link checkHttpEndpointAuth}'s.
 */
export function httpEndpointFields(fields: EndpointFieldBuilders) {
  const tls = z
    .strictObject({
      caFile: fields.nonEmptyText('PEM file of CA certificates to trust instead of the system roots.').optional(),
      certFile: fields.nonEmptyText('PEM client certificate for mutual TLS (with keyFile).').optional(),
      keyFile: fields.nonEmptyText('PEM private key of certFile.').optional(),
      insecureSkipVerify: fields.flag('Do not verify the server certificate. For tests only; reported as a warning. Default false.', false),
    })
    .meta({ description: 'TLS options for https:// URLs. New.' });
  return {
    url: z
      .url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? undefined : 'must be an absolute http:// or https:// URL') })
      .meta({ description: 'The URL payloads are POSTed to.' }),
    usernameVar: fields.envVarName('Name of the environment variable holding the basic-auth username (one trailing newline is stripped).').optional(),
    passwordVar: fields.envVarName('Name of the environment variable holding the basic-auth password (one trailing newline is stripped).').optional(),
    bearerTokenVar: fields.envVarName('Name of the environment variable holding a bearer token for the Authorization header. New.').optional(),
    bearerTokenFile: fields.nonEmptyText('File holding a bearer token, re-read when it changes. New.').optional(),
    signingSecretVar: fields.envVarName('Name of the environment variable holding the HMAC-SHA256 secret used to sign each request body. New.').optional(),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { error: 'must be a valid HTTP header name' }),
        fields.text('A header value; "${VAR}" is replaced by the environment variable VAR, "$$" by "$".'),
      )
      .default({})
      .meta({ description: 'Extra HTTP request headers. Values may reference environment variables as "${VAR}". New.' }),
    tls: tls.optional(),
    timeout: fields.duration('Per-attempt request timeout, a Go duration, at most 1h. Default 5s. New.', {
      default: '5s',
      positive: true,
      max: { ms: HOUR_MS, text: '1h', why: 'one request that may hang longer holds back every later change to this endpoint' },
    }),
    successStatusCodes: z
      .array(fields.wholeNumber().min(100).max(599).meta({ description: 'An HTTP status code.' }))
      .min(1, { error: 'must list at least one status code (omit the key to accept any 2xx)' })
      .optional()
      .meta({ description: 'HTTP statuses that count as delivered. Default any 2xx; [200] reproduces the original. New.' }),
    compression: z
      .enum(['none', 'gzip'])
      .default('none')
      .meta({ description: 'Request body compression: none or gzip. Default none. New.' }),
    format: z
      .enum(['watch-proxy', 'cloudevents'])
      .default('watch-proxy')
      .meta({ description: 'Body format: "watch-proxy" (the original payload) or "cloudevents" (a CloudEvents 1.0 batch). Default watch-proxy. New.' }),
  };
}
