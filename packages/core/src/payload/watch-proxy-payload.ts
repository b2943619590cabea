import { canonicalJson } from '../delta/canonical-json.js';
import type { Change } from '../types.js';
import { encodeCanonicalJson, quoteJsonString } from './canonical-json.js';

// core's canonicalJson (JSON.stringify escaping, keys sorted by UTF-16 code unit) is memoized per frozen object,
// and the pipeline has already computed it for every change (fingerprint, emit cache). Its text is byte-identical
// to Go's output unless it contains one of these: `<` `>` `&` U+2028 U+2029 (Go escapes them), surrogates (lone
// ones become U+FFFD; non-BMP keys sort differently), or a `\b` `\f` `\u` escape (Go 1.13 spelled control
// characters \u00XX). A match, including a false positive such as an escaped backslash before `b`, takes the
// Go-exact encoder instead, so reuse is only ever a shortcut.
const NOT_GO_IDENTICAL = /[<>&\u2028\u2029\ud800-\udfff]|\\[bfu]/;

function encodeObject(object: unknown): string {
  if (typeof object === 'object' && object !== null && Object.isFrozen(object)) {
    const text = canonicalJson(object);
    if (!NOT_GO_IDENTICAL.test(text)) return text;
  }
  return encodeCanonicalJson(object);
}

/**
 * The payload's `meta` value: the configured `metadata` plus `cluster: <clusterName>` when `clusterName` is
 * non-empty (overriding a user key `cluster`, as the original did), or `null` when there is neither.
 * Computed once per endpoint; the same value goes with every request.
 *
 * The original panicked when `clusterName` was set without `metadata`; here that gives `{ cluster }`.
 *
 * @param metadata - the config's top-level `metadata` map, or `null`/`undefined` when absent.
 * @param clusterName - the config's `clusterName`; `''` when unset.
 */
export function buildMeta(
  metadata: Readonly<Record<string, unknown>> | null | undefined,
  clusterName: string,
): Record<string, unknown> | null {
  if (clusterName === '') return metadata == null ? null : { ...metadata };
  return { ...metadata, cluster: clusterName };
}

/**
 * Encodes changes as the original Watch-Proxy's HTTP body, byte for byte:
 * `{"data":[{"asset_type_id":…,"data":…,"uniqueId":…,"event":…},…],"meta":…}` with the root and wrapper keys
 * in that order, keys inside `data` and `meta` sorted bytewise at every depth, compact, with Go's escaping of
 * `<` `>` `&` U+2028 U+2029. Each change's `object` is written as is: pruning and `metadata.uniqueId` injection
 * happened upstream. No trailing newline.
 *
 * For a frozen object whose core `canonicalJson` text is already Go-identical (no characters Go escapes
 * differently), that memoized text is reused instead of serializing again: pass deep-frozen objects, as the
 * pipeline does, or unfrozen ones (always serialized in full).
 *
 * @param items - the changes, in delivery order; may mix resources and events.
 * @param meta - the payload `meta`, usually from {@link buildMeta}; `null` writes `"meta":null`.
 */
export function encodeWatchProxyPayload(items: readonly Change[], meta: Readonly<Record<string, unknown>> | null): string {
  let out = '{"data":[';
  const length = items.length;
  for (let i = 0; i < length; i++) {
    const item = items[i]!;
    if (i > 0) out += ',';
    out +=
      `{"asset_type_id":${quoteJsonString(item.assetId)},"data":${encodeObject(item.object)}` +
      `,"uniqueId":${quoteJsonString(item.uniqueId)},"event":${quoteJsonString(item.event)}}`;
  }
  return `${out}],"meta":${encodeCanonicalJson(meta)}}`;
}

/**
 * Wraps an encoded payload for a vRealize Orchestrator workflow execution, as the original's `vro` endpoint type
 * did: `{"parameters":[{"value":{"string":{"value":"<the payload as a JSON string>"}},"type":"string","name":"input"}]}`.
 * The target workflow needs a `string` input named `input`.
 *
 * @param payload - the output of {@link encodeWatchProxyPayload}.
 */
export function wrapVroPayload(payload: string): string {
  return `{"parameters":[{"value":{"string":{"value":${quoteJsonString(payload)}}},"type":"string","name":"input"}]}`;
}
