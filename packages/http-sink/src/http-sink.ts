import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import fetch from 'node-fetch';
import type { Batch, Change, SendContext, SendOutcome, Sink, SinkLifecycleContext } from '@watch-proxy/core';
import { longTimeoutSignal } from '@watch-proxy/core/sink';
import { createAgent } from './agent.js';
import { answerExcerpt } from './answer-excerpt.js';
import { classifyFailure, classifyResponse, isSuccess } from './classify.js';
import type { HttpSinkOptions } from './options.js';
import { resolveHttpSinkOptions } from './resolve-options.js';
import { hideUrl } from './hide-url.js';
import { proxyTarget } from './proxy-env.js';
import { RESEND_STATUS, parseResendAnswer } from './resend-answer.js';
import { DRAIN_LIMIT_BYTES, readCappedBody } from './response-body.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signing.js';
import { checkConnection } from './startup-check.js';

const gzip = promisify(gzipCallback);

/** The sink returned by {@link createHttpSink}: a core `Sink` plus what it resolved from its options. */
export interface HttpSink extends Sink<Change> {
  /**
   * The endpoint as shown in messages: scheme, host and port, and `/…` for a path (`https://host:port/…`); never the
   * path, query or credentials, where webhook tokens live.
   */
  readonly target: string;
}

/**
 * Creates the HTTP POST sink: one endpoint of the original's `remoteEndpoints`. Validates the options and reads
 * every environment variable and file it needs now, so a broken configuration fails at startup with a message
 * naming the option and variable (never a secret value). No network I/O happens before `start()`.
 *
 * `start()` (called once by core) logs TLS warnings and, unless `startupCheck: 'none'`, opens one connection to
 * the endpoint: it rejects on a TLS trust failure and only warns when the endpoint is unreachable. Each `send` POSTs one batch and classifies the answer: success statuses (default: any 2xx) are
 * delivered; network errors, timeouts, 408, 429 and 5xx are retryable (honouring `Retry-After`); other statuses
 * are rejected with the status and a short excerpt of the answer (none when it repeats sent values: see
 * `answerExcerpt`); a 409 resend answer (`{"resend":[uniqueIds]}`, see `parseResendAnswer`) sends those objects
 * again whole. Core owns retries; the sink never retries by itself.
 * `close()` destroys the keep-alive connections.
 *
 * @throws WatchProxyError `WP_ERR_CONFIG_INVALID` for invalid options, a missing variable or unreadable file,
 *   and for `type: sqs`, which is out of scope.
 */
export function createHttpSink(options: HttpSinkOptions): HttpSink {
  const resolved = resolveHttpSinkOptions(options);
  const { name, target, encoder, tokenFile, signingSecret, idempotencyKeyHeader, timeoutMs, successStatusCodes } = resolved;
  for (const warning of resolved.warnings) options.logger?.warn({ sink: name }, warning);
  const { proxy } = resolved;
  const agent = createAgent(resolved.url.protocol === 'https:' ? 'https:' : 'http:', resolved.tls, proxy);
  const href = resolved.url.href;

  return {
    name,
    target,
    // Core's attempt timeout follows the endpoint's own, so a `timeout` above core's default is honoured.
    timeoutMs,
    ...(options.limits === undefined ? {} : { limits: options.limits }),

    async start(ctx: SinkLifecycleContext): Promise<void> {
      for (const warning of resolved.warnings) ctx.logger.warn({ sink: name }, warning);
      if (proxy !== undefined) ctx.logger.info({ sink: name, proxy: proxyTarget(proxy) }, `sink ${name}: ${target} is reached through a proxy (HTTP(S)_PROXY)`);
      if (resolved.startupCheck !== 'connect') return;
      // Through a proxy, the path this process can check is the one to the proxy (the endpoint's certificate is
      // checked by the first send).
      const check = { ...ctx, sink: name };
      if (proxy === undefined) await checkConnection(resolved.url, resolved.tls, target, timeoutMs, check);
      else await checkConnection(proxy, { rejectUnauthorized: true }, `proxy ${proxyTarget(proxy)}`, timeoutMs, check);
    },

    async send(batch: Batch<Change>, ctx: SendContext): Promise<SendOutcome> {
      const plain = encoder.encode(batch.items, batch.cluster);
      const headers: Record<string, string> = { ...resolved.headers, [idempotencyKeyHeader]: batch.id };
      if (signingSecret !== undefined) {
        // A fresh timestamp per attempt: a receiver's replay window applies to each request actually sent.
        const timestamp = Math.floor(Date.now() / 1000);
        headers[TIMESTAMP_HEADER] = String(timestamp);
        headers[SIGNATURE_HEADER] = signBody(signingSecret, batch.id, timestamp, plain);
      }
      if (tokenFile !== undefined) headers['Authorization'] = `Bearer ${await tokenFile.current()}`;
      const body = resolved.compression === 'gzip' ? await gzip(plain) : plain;

      // Not AbortSignal.timeout: past 24.8 days it fires at once (and throws past 49.7), failing every POST.
      const timeout = longTimeoutSignal(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      // node-fetch 3 destroys its internal body stream with an error nobody listens to when the signal is already
      // aborted on entry, which surfaces as an uncaught exception: answer without calling it.
      if (signal.aborted) return classifyFailure(signal.reason, target, false, timeoutMs);
      try {
        const response = await fetch(href, { method: 'POST', body, headers, agent, signal, redirect: 'manual' });
        // A resend answer lists uniqueIds: read all of it the drain limit allows, not only an excerpt's worth.
        const resendAnswer = response.status === RESEND_STATUS;
        const text = await readCappedBody(response.body, resendAnswer ? DRAIN_LIMIT_BYTES : undefined);
        const resent = resendAnswer ? parseResendAnswer(text, batch.items, target) : undefined;
        if (resent !== undefined) return resent;
        const retryAfter = response.headers.get('retry-after');
        // Only an excerpt that cannot carry object data goes into the outcome's error, hence into logs.
        const excerpt = isSuccess(response.status, successStatusCodes) ? '' : answerExcerpt(text, batch.items);
        return classifyResponse({ status: response.status, retryAfter, body: excerpt }, successStatusCodes, target);
      } catch (error) {
        return classifyFailure(hideUrl(error, href, target), target, timeout.aborted && !ctx.signal.aborted, timeoutMs);
      }
    },

    close(): Promise<void> {
      agent.destroy();
      return Promise.resolve();
    },
  };
}
