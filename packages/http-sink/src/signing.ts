import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header with the Unix time, in seconds, at which a request was signed. */
export const TIMESTAMP_HEADER = 'X-Watch-Proxy-Timestamp';
/** Header with the signature: `v1=<lower-case hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'X-Watch-Proxy-Signature';

/**
 * Signs a request body: HMAC-SHA256 keyed with the secret's UTF-8 bytes over
 * `<idempotency key> "." <timestamp> "." <body>`, where body is the uncompressed request body. Binding the
 * idempotency key and timestamp into the MAC lets a receiver reject replays: drop requests whose timestamp is
 * too old, and requests whose key it has already processed. Recipe in docs/payload.md.
 *
 * @param timestampSeconds - Unix time in whole seconds; fresh on every attempt.
 * @returns the value of the signature header.
 */
export function signBody(secret: string, idempotencyKey: string, timestampSeconds: number, body: Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${idempotencyKey}.${timestampSeconds}.`);
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

/** What {@link verifySignature} needs from a received request. Header values as received. */
export interface SignedRequest {
  /** The signing secret, as in the sender's `signingSecretVar`. */
  readonly secret: string;
  /** The raw request body, after undoing any `Content-Encoding`. */
  readonly body: Buffer;
  /** The `Idempotency-Key` (or configured `idempotencyKeyHeader`) header. */
  readonly idempotencyKey: string | undefined;
  /** The `X-Watch-Proxy-Timestamp` header. */
  readonly timestamp: string | undefined;
  /** The `X-Watch-Proxy-Signature` header. */
  readonly signature: string | undefined;
  /** How far the timestamp may be from `now`, in seconds. Default: 300. */
  readonly toleranceSeconds?: number;
  /** Current time, epoch ms. Default: `Date.now()`. */
  readonly now?: number;
}

/**
 * For receivers written in Node: checks a request's signature and timestamp (the recipe in docs/payload.md),
 * comparing in constant time. Replays inside the tolerance window are the receiver's to reject, by remembering
 * the idempotency keys it has processed.
 *
 * @returns true when every header is present, the timestamp is within the tolerance and the signature matches.
 */
export function verifySignature(request: SignedRequest): boolean {
  const { idempotencyKey, timestamp, signature } = request;
  if (idempotencyKey === undefined || timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const now = request.now ?? Date.now();
  if (Math.abs(now / 1000 - Number(timestamp)) > (request.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signBody(request.secret, idempotencyKey, Number(timestamp), request.body));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
