import type { RejectionKind, SendOutcome } from '@watch-proxy/core';
import { WatchProxyError } from '@watch-proxy/core';
import { delivered, parseRetryAfter, rejected, retryable } from '@watch-proxy/core/sink';

/** What the sink learned from one response, enough to classify it. */
export interface ResponseFacts {
  readonly status: number;
  readonly retryAfter: string | null;
  /** The first KiB of the body, as text. */
  readonly body: string;
}

/** Whether a status counts as delivered: in `successStatusCodes` when given, else any 2xx. */
export function isSuccess(status: number, successStatusCodes: ReadonlySet<number> | undefined): boolean {
  return successStatusCodes === undefined ? status >= 200 && status <= 299 : successStatusCodes.has(status);
}

/**
 * Classifies a response for core: success statuses are delivered; 408, 429 and 5xx are retryable (after
 * `Retry-After` when given); everything else (3xx, other 4xx, a 2xx not in `successStatusCodes`) is rejected,
 * with the status as `code`, its `rejectionKind`, and the status and the start of the body in the error.
 *
 * @param target - the URL without credentials, for messages.
 * @param now - current time, epoch ms, for `Retry-After` dates; injectable for tests. Default: `Date.now()`.
 */
export function classifyResponse(
  facts: ResponseFacts,
  successStatusCodes: ReadonlySet<number> | undefined,
  target: string,
  now?: number,
): SendOutcome {
  const { status } = facts;
  if (isSuccess(status, successStatusCodes)) return delivered();
  const detail = facts.body === '' ? '' : `: ${facts.body}`;
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const error = new WatchProxyError('WP_ERR_SINK_SEND', `POST ${target} answered ${status}${detail}`);
    const afterMs = parseRetryAfter(facts.retryAfter, now);
    return afterMs === undefined ? retryable(error) : retryable(error, { afterMs });
  }
  const why =
    status >= 200 && status <= 299
      ? ' (not in successStatusCodes)'
      : status >= 300 && status <= 399
        ? ' (redirects are not followed: point url at the final location)'
        : status === 413
          ? ' (the batch is too large: lower emitBatchMaxBytes below the receiver\'s body limit)'
          : '';
  const error = new WatchProxyError('WP_ERR_SINK_REJECTED', `POST ${target} answered ${status}${why}${detail}`);
  return rejected(error, { kind: rejectionKind(status), code: status });
}

/**
 * Statuses that say the endpoint refuses any request right now, whatever the batch holds: a redirect (not followed,
 * so credentials never reach another origin), authentication and authorization, a wrong path or method. Core keeps
 * the whole batch owed instead of bisecting it one object at a time.
 */
const ENDPOINT_REFUSALS = new Set([401, 403, 404, 405, 407, 410, 421]);

/**
 * How core should look for what a refused batch holds that the receiver refuses: 413 splits it until it fits,
 * statuses about the endpoint (3xx, `ENDPOINT_REFUSALS`, a 2xx not in `successStatusCodes`) keep the whole batch
 * owed, and any other status (400, 409, 415, 422...) bisects it to find the objects refused.
 */
export function rejectionKind(status: number): RejectionKind {
  if (status === 413) return 'too-large';
  if ((status >= 200 && status <= 399) || ENDPOINT_REFUSALS.has(status)) return 'endpoint';
  return 'content';
}

// Codes OpenSSL/Node give certificate problems: turned into a message that says what to configure.
const TLS_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a failure is the TLS layer refusing the server (certificate, name, dates): a configuration problem. */
export function isTlsTrustError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && (TLS_CERT_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'));
}

/**
 * Classifies a failed request (no response): always retryable, as the endpoint may come back or its
 * certificate be fixed; the error says which case it is. A timeout gets `WP_ERR_SINK_TIMEOUT`.
 *
 * @param timedOut - the sink's own request timeout fired.
 * @param timeoutMs - that timeout, for the message.
 */
export function classifyFailure(error: unknown, target: string, timedOut: boolean, timeoutMs: number): SendOutcome {
  if (timedOut) {
    return retryable(
      new WatchProxyError('WP_ERR_SINK_TIMEOUT', `POST ${target} got no answer within ${timeoutMs} ms`, { cause: error }),
    );
  }
  const code = errorCode(error);
  if (isTlsTrustError(error)) {
    return retryable(
      new WatchProxyError(
        'WP_ERR_SINK_SEND',
        `POST ${target} failed TLS verification (${code}): the server certificate is not trusted; ` +
          'set tls.caFile to the CA that signed it, or check the certificate name and dates',
        { cause: error },
      ),
    );
  }
  const reason = code ?? (error instanceof Error ? error.name : 'unknown error');
  return retryable(new WatchProxyError('WP_ERR_SINK_SEND', `POST ${target} failed: ${reason}`, { cause: error }));
}
