import { WatchProxyError, type Change, type SendOutcome } from '@watch-proxy/core';
import { resend } from '@watch-proxy/core/sink';

/**
 * The status of a resend answer: a receiver with `deltaUpdates` that lacks the base state of some patches answers
 * `409 Conflict` with `{"resend":["<uniqueId>",...]}` (docs/http-sink.md).
 */
export const RESEND_STATUS = 409;

/**
 * Reads a resend answer: the indexes of the batch's items whose `uniqueId` the body's `resend` list names, as core's
 * `resend` outcome (those objects go again whole, the rest count as delivered). Undefined when the body is not a
 * resend answer (not JSON, no `resend` list of strings): the 409 is then classified like any other refusal.
 *
 * @param body - the answer's body as text (read up to the sink's drain limit).
 * @param target - the URL without credentials, for the message.
 */
export function parseResendAnswer(body: string, items: readonly Change[], target: string): SendOutcome | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const list = parsed !== null && typeof parsed === 'object' ? (parsed as { resend?: unknown }).resend : undefined;
  if (!Array.isArray(list) || !list.every((id): id is string => typeof id === 'string')) return undefined;
  const named = new Set(list);
  const indexes = items.flatMap((item, i) => (named.has(item.uniqueId) ? [i] : []));
  const error = new WatchProxyError(
    'WP_ERR_SINK_SEND',
    `POST ${target} answered ${RESEND_STATUS}: the receiver lacks the base state of ${indexes.length} of ${items.length} items; sending those whole`,
  );
  return resend(indexes, error);
}
