import { createHmac } from 'node:crypto';

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
