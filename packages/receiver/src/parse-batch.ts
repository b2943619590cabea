import type { Operation } from 'rfc6902';

/** The three events watch-proxy sends. */
export type ReceivedEvent = 'add' | 'update' | 'delete';

/** One item of a batch, whichever format it came in. */
export interface ReceivedItem {
  /** `<clusterName>-<uid>`: the object's identity at the receiver. */
  readonly uniqueId: string;
  readonly event: ReceivedEvent;
  /** The whole object (adds, deletes, and updates sent whole). Absent on a patch. */
  readonly object?: Record<string, unknown>;
  /** With `deltaUpdates`: the RFC 6902 patch from the state with `baseFingerprint` to the state with `fingerprint`. */
  readonly patch?: Operation[];
  /** The fingerprint of the state a patch applies to. */
  readonly baseFingerprint?: string;
  /** The fingerprint of the state this item leaves (sent with `deltaUpdates`). */
  readonly fingerprint?: string;
  /** `asset_type_id` (watch-proxy format) or the `assettypeid` extension (CloudEvents); `''` when unset. */
  readonly assetTypeId: string;
}

/** A body that is not a watch-proxy batch in either format: answered 400. */
export class MalformedBatchError extends Error {
  override readonly name = 'MalformedBatchError';
}

const EVENTS: ReadonlySet<string> = new Set(['add', 'update', 'delete']);
const PATCH_CONTENT_TYPE = 'application/json-patch+json';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MalformedBatchError(`${what} must be a string`);
  return value;
}

function item(at: string, uniqueId: unknown, event: unknown, data: unknown, isPatch: boolean, extra: { base: unknown; fingerprint: unknown; asset: unknown }): ReceivedItem {
  if (typeof uniqueId !== 'string' || uniqueId === '') throw new MalformedBatchError(`${at}: uniqueId must be a non-empty string`);
  if (typeof event !== 'string' || !EVENTS.has(event)) throw new MalformedBatchError(`${at}: event must be add, update or delete`);
  const fingerprint = optionalString(extra.fingerprint, `${at}: fingerprint`);
  const assetTypeId = optionalString(extra.asset, `${at}: asset type id`) ?? '';
  if (isPatch) {
    const baseFingerprint = optionalString(extra.base, `${at}: base fingerprint`);
    if (!Array.isArray(data) || baseFingerprint === undefined || fingerprint === undefined) {
      throw new MalformedBatchError(`${at}: a patch needs a list of operations, a base fingerprint and a fingerprint`);
    }
    if (event !== 'update') throw new MalformedBatchError(`${at}: only an update may be a patch`);
    return { uniqueId, event, patch: data as Operation[], baseFingerprint, fingerprint, assetTypeId };
  }
  if (!isRecord(data)) throw new MalformedBatchError(`${at}: data must be an object`);
  return { uniqueId, event: event as ReceivedEvent, object: data, ...(fingerprint === undefined ? {} : { fingerprint }), assetTypeId };
}

/**
 * Parses a request body in either format watch-proxy sends (docs/payload.md): `{"data":[...],"meta":...}` (the
 * default, `format: watch-proxy`) or a CloudEvents JSON batch (a JSON array, `format: cloudevents`), whole items
 * and `deltaUpdates` patches alike. Throws {@link MalformedBatchError} saying what and where when it is neither.
 */
export function parseBatch(body: Buffer | string): { readonly items: ReceivedItem[]; readonly meta: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new MalformedBatchError(`the body is not JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(parsed)) {
    const items = parsed.map((event: unknown, i) => {
      const at = `event ${i}`;
      if (!isRecord(event)) throw new MalformedBatchError(`${at}: must be an object`);
      const type = optionalString(event['type'], `${at}: type`) ?? '';
      const isPatch = event['datacontenttype'] === PATCH_CONTENT_TYPE;
      return item(at, event['uniqueid'], type.slice(type.lastIndexOf('.') + 1), event['data'], isPatch, {
        base: event['basefingerprint'],
        fingerprint: event['fingerprint'],
        asset: event['assettypeid'],
      });
    });
    return { items, meta: undefined };
  }
  if (!isRecord(parsed) || !Array.isArray(parsed['data'])) throw new MalformedBatchError('the body is neither {"data":[...]} nor a CloudEvents batch');
  const items = parsed['data'].map((entry: unknown, i) => {
    const at = `data[${i}]`;
    if (!isRecord(entry)) throw new MalformedBatchError(`${at}: must be an object`);
    const isPatch = entry['patch'] !== undefined;
    return item(at, entry['uniqueId'], entry['event'], isPatch ? entry['patch'] : entry['data'], isPatch, {
      base: entry['baseFingerprint'],
      fingerprint: entry['fingerprint'],
      asset: entry['asset_type_id'],
    });
  });
  return { items, meta: parsed['meta'] };
}
