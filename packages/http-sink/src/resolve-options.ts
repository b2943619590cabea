import { readTlsMaterial } from './agent.js';
import type { TlsMaterial } from './agent.js';
import { configError } from './config-error.js';
import type { ConfigError } from '@watch-proxy/core';
import { createBodyEncoder } from './encode-body.js';
import type { BodyEncoder } from './encode-body.js';
import { readEnvVar } from './env-secret.js';
import type { HttpCompression, HttpSinkOptions } from './options.js';
import { proxyFor } from './proxy-env.js';
import { resolveAuth } from './resolve-auth.js';
import { HEADER_NAME } from './schema/header-name.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.js';
import type { TokenFile } from './token-file.js';

/** Default per-request timeout: the original's 5 s client timeout. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Default name of the header that carries the batch id. */
export const DEFAULT_IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

// Headers the sink sets itself; user headers may not replace them (a wrong Content-Length or a second
// Authorization would break requests in ways that are hard to see).
const OWNED_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'connection',
  TIMESTAMP_HEADER.toLowerCase(),
  SIGNATURE_HEADER.toLowerCase(),
]);

// What Node accepts in a header value. Checked at creation: a bad value (a token with an inner newline) would
// otherwise fail every request, and be retried forever as if it were a network error.
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Everything a sink needs, checked and read from the environment once. Holds secrets: never log it. */
export interface ResolvedHttpSink {
  readonly name: string;
  readonly url: URL;
  /** The URL's scheme and host (`https://host:port/…`): nothing of its path, query or credentials. For messages. */
  readonly target: string;
  readonly encoder: BodyEncoder;
  /** Headers sent on every request (content type, encoding, user headers, fixed Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly tokenFile: TokenFile | undefined;
  readonly signingSecret: string | undefined;
  readonly idempotencyKeyHeader: string;
  readonly timeoutMs: number;
  readonly successStatusCodes: ReadonlySet<number> | undefined;
  readonly compression: HttpCompression;
  readonly tls: TlsMaterial;
  /** The proxy from `HTTP(S)_PROXY`/`NO_PROXY` (see `proxyFor`); it may carry credentials: never log it. */
  readonly proxy: URL | undefined;
  readonly startupCheck: 'connect' | 'none';
  /** Warnings to log at creation and at start(). */
  readonly warnings: readonly string[];
}

function oneOf<T extends string>(option: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  const chosen = value ?? fallback;
  if (!allowed.includes(chosen)) throw configError(option, `unknown value '${String(chosen)}' (${allowed.join(' or ')})`);
  return chosen;
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError('url', 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('url', `protocol ${url.protocol} is not http: or https:`);
  if (url.username !== '' || url.password !== '') throw configError('url', 'credentials in the URL are not supported; use usernameVar/passwordVar');
  return url;
}

function successCodes(codes: readonly number[] | null | undefined): ReadonlySet<number> | undefined {
  if (codes == null) return undefined;
  if (codes.length === 0) throw configError('successStatusCodes', 'must not be empty');
  for (const code of codes) {
    if (!Number.isInteger(code) || code < 100 || code > 599) throw configError('successStatusCodes', `${code} is not an HTTP status`);
  }
  return new Set(codes);
}

/** A refused header: the path to it is `headers.<name>`; the message keeps saying `headers: ...`. */
function headerError(header: string, reason: string): ConfigError {
  return configError(`headers.${header}`, reason, { message: `headers: ${reason}` });
}

/**
 * Validates the options and reads what they name (env vars, TLS files, the token file). Errors are
 * `WP_ERR_CONFIG_INVALID` and name the option and variable or path, never a value.
 */
export function resolveHttpSinkOptions(options: HttpSinkOptions): ResolvedHttpSink {
  if (options.type === 'sqs') {
    const reason =
      "endpoint type 'sqs' is out of scope for watch-proxy: it is not supported. Use an http endpoint " +
      '(e.g. an API Gateway or a small forwarder in front of SQS), or write a custom sink with @watch-proxy/core';
    throw configError('type', reason, { message: reason });
  }
  const type = oneOf('type', options.type, ['http', 'vro'], 'http');
  const format = oneOf('format', options.format, ['watch-proxy', 'cloudevents'], 'watch-proxy');
  if (type === 'vro' && format !== 'watch-proxy') throw configError('format', 'a vro endpoint sends only the watch-proxy format');
  const compression = oneOf('compression', options.compression, ['none', 'gzip'], 'none');
  const startupCheck = oneOf('startupCheck', options.startupCheck, ['connect', 'none'], 'connect');
  const url = parseUrl(options.url);
  // No path, query or credentials: a webhook URL often carries its token in the path, and messages reach logs.
  const target = `${url.protocol}//${url.host}${url.pathname === '/' ? '/' : '/…'}`;
  const name = options.name ?? 'http';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw configError('timeoutMs', 'must be a positive number of milliseconds');
  const idempotencyKeyHeader = options.idempotencyKeyHeader ?? DEFAULT_IDEMPOTENCY_KEY_HEADER;
  if (!HEADER_NAME.test(idempotencyKeyHeader)) throw configError('idempotencyKeyHeader', 'not a valid header name');

  const env = options.env ?? process.env;
  const encoder = createBodyEncoder(type, format, options.clusterName ?? '', options.metadata);
  const headers: Record<string, string> = { 'User-Agent': 'watch-proxy' };
  for (const [header, value] of Object.entries(options.headers ?? {})) {
    if (!HEADER_NAME.test(header)) throw headerError(header, `'${header}' is not a valid header name`);
    if (OWNED_HEADERS.has(header.toLowerCase())) throw headerError(header, `${header} is set by the sink and cannot be overridden`);
    if (header.toLowerCase() === idempotencyKeyHeader.toLowerCase()) {
      throw headerError(header, `${header} carries the idempotency key (idempotencyKeyHeader) and cannot be set`);
    }
    headers[header] = typeof value === 'string' ? value : readEnvVar(env, value.env, `headers.${header}`);
  }
  const auth = resolveAuth(options, env, Object.keys(headers).some((header) => header.toLowerCase() === 'authorization'));
  if (auth.authorization !== undefined) headers['Authorization'] = auth.authorization;
  for (const [header, value] of Object.entries(headers)) {
    // The message names the header only: the value may be a credential.
    if (BAD_HEADER_VALUE.test(value)) throw headerError(header, `the value of ${header} contains characters not allowed in HTTP headers (a newline?)`);
  }
  headers['Content-Type'] = encoder.contentType;
  if (compression === 'gzip') headers['Content-Encoding'] = 'gzip';

  const signingSecretVar = options.signingSecretVar ?? undefined;
  const signingSecret = signingSecretVar === undefined ? undefined : readEnvVar(env, signingSecretVar, 'signingSecretVar');
  if (signingSecret === '') throw configError('signingSecretVar', `environment variable ${signingSecretVar ?? ''} is empty`);

  const https = url.protocol === 'https:';
  const warnings: string[] = [];
  if (https && options.tls?.insecureSkipVerify === true) {
    warnings.push(`sink ${name}: tls.insecureSkipVerify is on: the server certificate of ${target} is NOT verified; anyone on the path can read and change the payload`);
  }
  if (!https && Object.values(options.tls ?? {}).some((value) => value != null && value !== false)) {
    warnings.push(`sink ${name}: tls options have no effect on the http: url ${target}`);
  }

  return {
    name,
    url,
    target,
    encoder,
    headers,
    tokenFile: auth.tokenFile,
    signingSecret,
    idempotencyKeyHeader,
    timeoutMs,
    successStatusCodes: successCodes(options.successStatusCodes),
    compression,
    tls: https ? readTlsMaterial(options.tls) : { rejectUnauthorized: true },
    proxy: proxyFor(url, env),
    startupCheck,
    warnings,
  };
}
