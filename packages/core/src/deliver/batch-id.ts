import { createHash } from 'node:crypto';
import type { Change } from '../types.js';

/**
 * The id of a batch, derived from its content: a UUID (version 8, RFC 9562) made of the SHA-256 of each item's
 * key, `uniqueId`, event and fingerprint (and a patch's base fingerprint), in order. The same changes always get the same id, whichever process
 * or replica cuts the batch (after a restart, reload or leader takeover), so a receiver can drop a batch it
 * has already processed; any difference in the items (one object more, another state, another event, another
 * order) gives another id. Costs one hash of a few short strings per item.
 */
export function batchIdOf(items: readonly Pick<Change, 'key' | 'uniqueId' | 'event' | 'fingerprint' | 'delta'>[]): string {
  const hash = createHash('sha256');
  // JSON per item: no separator that a key could contain can make two different lists hash alike. A patch
  // (deltaUpdates) also hashes its base: the same state sent whole after a resend answer is another request.
  for (const c of items) {
    const item = [c.key, c.uniqueId, c.event, c.fingerprint];
    if (c.delta?.form === 'patch') item.push(c.delta.baseFingerprint);
    hash.update(`${JSON.stringify(item)}\n`);
  }
  const bytes = hash.digest().subarray(0, 16);
  // Version and variant bits, so the id parses as a UUID where receivers check it (it was a v4 before).
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x80, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
