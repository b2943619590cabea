import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers watch-proxy signs with (docs/payload.md section 6). Lower case, as Node presents them. */
export const TIMESTAMP_HEADER = 'x-watch-proxy-timestamp';
/** See {@link TIMESTAMP_HEADER}. */
export const SIGNATURE_HEADER = 'x-watch-proxy-signature';

/** Why a request's signature was not accepted. */
export type SignatureProblem = 'missing' | 'stale' | 'mismatch';

/**
 * Checks watch-proxy's request signature: `v1=` + hex HMAC-SHA256 of `<idempotency key>.<timestamp>.<body>` with
 * `secret`, compared in constant time, and a timestamp within `toleranceSeconds` of `nowSeconds`. Returns
 * `undefined` when valid, otherwise what is wrong.
 *
 * @param body - the raw body bytes, after any Content-Encoding was undone (never a re-serialized parse).
 * @param toleranceSeconds - how far the timestamp may be from this clock, seconds (default 300).
 * @param nowSeconds - the clock, Unix seconds (default: now).
 */
export function checkSignature(input: {
  readonly secret: string | Buffer;
  readonly body: Buffer;
  readonly idempotencyKey: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly toleranceSeconds?: number | undefined;
  readonly nowSeconds?: number | undefined;
}): SignatureProblem | undefined {
  const { idempotencyKey, timestamp, signature } = input;
  if (idempotencyKey === undefined || idempotencyKey === '' || signature === undefined || timestamp === undefined || !/^\d+$/.test(timestamp)) {
    return 'missing';
  }
  const now = input.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return 'stale';
  const expected = Buffer.from(`v1=${createHmac('sha256', input.secret).update(`${idempotencyKey}.${timestamp}.`).update(input.body).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? undefined : 'mismatch';
}
