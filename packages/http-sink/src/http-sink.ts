import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import fetch from 'node-fetch';
import { buildMeta, encodeWatchProxyPayload, wrapVroPayload } from '@watch-proxy/core';
import type { Batch, Change, SendContext, SendOutcome, Sink, SinkLifecycleContext } from '@watch-proxy/core';
import { createAgent, readTlsMaterial } from './agent.js';
import { classifyFailure, classifyResponse } from './classify.js';
import { CLOUDEVENTS_BATCH_CONTENT_TYPE, encodeCloudEventsBatch } from './cloudevents.js';
import { configError } from './config-error.js';
import { readEnvVar } from './env-secret.js';
import type { HttpSinkOptions } from './options.js';
import { readCappedBody } from './response-body.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signing.js';
import { checkConnection } from './startup-check.js';
import { TokenFile } from './token-file.js';

const gzip = promisify(gzipCallback);

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

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The sink returned by {@link createHttpSink}: a core `Sink` plus what it resolved from its options. */
export interface HttpSink extends Sink<Change> {
  /** The endpoint without credentials or query string (`https://host:port/path`), as used in messages. */
  readonly target: string;
}

/**
 * Creates the HTTP POST sink: one endpoint of the original's `remoteEndpoints`. Validates the options and reads
 * every environment variable and file it needs now, so a broken configuration fails at startup with a message
 * naming the option and variable (never a secret value). No network I/O happens until the first `send`.
 *
 * Each `send` POSTs one batch and classifies the answer: success statuses (default: any 2xx) are delivered;
 * network errors, timeouts, 408, 429 and 5xx are retryable (honouring `Retry-After`); other statuses are rejected
 * with the status and the first KiB of the body. Core owns retries; the sink never retries by itself.
 *
 * @throws WatchProxyError `WP_ERR_CONFIG_INVALID` for invalid options, a missing variable or unreadable file,
 *   and for `type: sqs`, which is out of scope.
 */
export function createHttpSink(options: HttpSinkOptions): HttpSink {
  const type = options.type ?? 'http';
  if (type === 'sqs') {
    throw configError(
      "endpoint type 'sqs' is out of scope for watch-proxy: it is not supported. Use an http endpoint " +
        '(e.g. an API Gateway or a small forwarder in front of SQS), or write a custom sink with @watch-proxy/core',
    );
  }
  if (type !== 'http' && type !== 'vro') throw configError(`type: unknown endpoint type '${String(type)}' (http or vro)`);
  const format = options.format ?? 'watch-proxy';
  if (format !== 'watch-proxy' && format !== 'cloudevents') {
    throw configError(`format: unknown format '${String(format)}' (watch-proxy or cloudevents)`);
  }
  if (type === 'vro' && format !== 'watch-proxy') throw configError('format: a vro endpoint sends only the watch-proxy format');

  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw configError('url: not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`url: protocol ${url.protocol} is not http: or https:`);
  if (url.username !== '' || url.password !== '') {
    throw configError('url: credentials in the URL are not supported; use usernameVar/passwordVar');
  }
  const target = `${url.protocol}//${url.host}${url.pathname}`;
  const tls = options.tls;
  const tlsUnused =
    url.protocol !== 'https:' && tls !== undefined && Object.values(tls).some((value) => value != null && value !== false);

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw configError('timeoutMs: must be a positive number of milliseconds');
  const successStatusCodes = options.successStatusCodes == null ? undefined : new Set(options.successStatusCodes);
  if (successStatusCodes !== undefined) {
    if (successStatusCodes.size === 0) throw configError('successStatusCodes: must not be empty');
    for (const code of successStatusCodes) {
      if (!Number.isInteger(code) || code < 100 || code > 599) throw configError(`successStatusCodes: ${code} is not an HTTP status`);
    }
  }
  const compression = options.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw configError(`compression: unknown value '${String(compression)}' (none or gzip)`);
  const idempotencyKeyHeader = options.idempotencyKeyHeader ?? DEFAULT_IDEMPOTENCY_KEY_HEADER;
  if (!HEADER_NAME.test(idempotencyKeyHeader)) throw configError('idempotencyKeyHeader: not a valid header name');

  const env = options.env ?? process.env;
  const staticHeaders: Record<string, string> = { 'User-Agent': 'watch-proxy' };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw configError(`headers: '${name}' is not a valid header name`);
    if (OWNED_HEADERS.has(name.toLowerCase())) throw configError(`headers: ${name} is set by the sink and cannot be overridden`);
    staticHeaders[name] = typeof value === 'string' ? value : readEnvVar(env, value.env, `headers.${name}`);
  }

  // Authorization: basic auth as the original (only with a non-empty username), or a bearer token.
  const usernameVar = options.usernameVar ?? undefined;
  const passwordVar = options.passwordVar ?? undefined;
  const bearerTokenVar = options.bearerTokenVar ?? undefined;
  const bearerTokenFile = options.bearerTokenFile ?? undefined;
  const signingSecretVar = options.signingSecretVar ?? undefined;
  const username = usernameVar === undefined ? '' : readEnvVar(env, usernameVar, 'usernameVar');
  const password = passwordVar === undefined ? '' : readEnvVar(env, passwordVar, 'passwordVar');
  const userAuthorization = Object.keys(staticHeaders).some((name) => name.toLowerCase() === 'authorization');
  const authSources = [username !== '', bearerTokenVar !== undefined, bearerTokenFile !== undefined, userAuthorization];
  if (authSources.filter(Boolean).length > 1) {
    throw configError('authorization: use only one of basic auth, bearerTokenVar, bearerTokenFile and an Authorization header');
  }
  if (username !== '') staticHeaders['Authorization'] = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  if (bearerTokenVar !== undefined) staticHeaders['Authorization'] = `Bearer ${readEnvVar(env, bearerTokenVar, 'bearerTokenVar')}`;
  const tokenFile = bearerTokenFile === undefined ? undefined : new TokenFile(bearerTokenFile);
  const signingSecret = signingSecretVar === undefined ? undefined : readEnvVar(env, signingSecretVar, 'signingSecretVar');
  if (signingSecret === '') throw configError(`signingSecretVar: environment variable ${signingSecretVar ?? ''} is empty`);

  staticHeaders['Content-Type'] = format === 'cloudevents' ? CLOUDEVENTS_BATCH_CONTENT_TYPE : 'application/json';
  if (compression === 'gzip') staticHeaders['Content-Encoding'] = 'gzip';

  const clusterName = options.clusterName ?? '';
  const meta = buildMeta(options.metadata, clusterName);
  const encode = (items: readonly Change[]): string => {
    if (format === 'cloudevents') return encodeCloudEventsBatch(items, clusterName);
    const payload = encodeWatchProxyPayload(items, meta);
    return type === 'vro' ? wrapVroPayload(payload) : payload;
  };

  const startupCheck = options.startupCheck ?? 'connect';
  if (startupCheck !== 'connect' && startupCheck !== 'none') throw configError(`startupCheck: unknown value '${String(startupCheck)}' (connect or none)`);
  const tlsMaterial = url.protocol === 'https:' ? readTlsMaterial(tls) : { rejectUnauthorized: true };
  const agent = createAgent(url.protocol, tlsMaterial);
  const insecure = url.protocol === 'https:' && tls?.insecureSkipVerify === true;
  const name = options.name ?? 'http';
  const insecureWarning = `sink ${name}: tls.insecureSkipVerify is on: the server certificate of ${target} is NOT verified; anyone on the path can read and change the payload`;
  const tlsUnusedWarning = `sink ${name}: tls options have no effect on the http: url ${target}`;
  if (insecure) options.logger?.warn({ sink: name }, insecureWarning);
  if (tlsUnused) options.logger?.warn({ sink: name }, tlsUnusedWarning);
  const href = url.href;

  const sink: HttpSink = {
    name,
    target,
    ...(options.limits === undefined ? {} : { limits: options.limits }),

    async start(ctx: SinkLifecycleContext): Promise<void> {
      if (insecure) ctx.logger.warn({ sink: name }, insecureWarning);
      if (tlsUnused) ctx.logger.warn({ sink: name }, tlsUnusedWarning);
      if (startupCheck === 'connect') await checkConnection(url, tlsMaterial, target, timeoutMs, ctx.signal);
    },

    async send(batch: Batch<Change>, ctx: SendContext): Promise<SendOutcome> {
      const plain = Buffer.from(encode(batch.items), 'utf8');
      const headers: Record<string, string> = { ...staticHeaders, [idempotencyKeyHeader]: batch.id };
      if (signingSecret !== undefined) {
        // A fresh timestamp per attempt: a receiver's replay window applies to each request actually sent.
        const timestamp = Math.floor(Date.now() / 1000);
        headers[TIMESTAMP_HEADER] = String(timestamp);
        headers[SIGNATURE_HEADER] = signBody(signingSecret, batch.id, timestamp, plain);
      }
      if (tokenFile !== undefined) headers['Authorization'] = `Bearer ${await tokenFile.current()}`;
      const body = compression === 'gzip' ? await gzip(plain) : plain;

      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      try {
        const response = await fetch(href, { method: 'POST', body, headers, agent, signal, redirect: 'manual' });
        const text = await readCappedBody(response.body);
        return classifyResponse({ status: response.status, retryAfter: response.headers.get('retry-after'), body: text }, successStatusCodes, target);
      } catch (error) {
        return classifyFailure(error, target, timeout.aborted && !ctx.signal.aborted, timeoutMs);
      }
    },

    close(): Promise<void> {
      agent.destroy();
      return Promise.resolve();
    },
  };
  return sink;
}
