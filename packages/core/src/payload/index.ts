// @watch-proxy/core/payload: the watch-proxy payload format, the canonical JSON it is written in and the patch form
// of `deltaUpdates` (`Change.delta`), for sink authors who encode changes themselves and for receivers that check
// or re-encode what they got.
export { buildClusterMeta, buildMeta, encodeWatchProxyItem, encodeWatchProxyPayload, wrapVroPayload } from './watch-proxy-payload.js';
export { CLOUDEVENT_JSON_CONTENT_TYPE, cloudEventAttributes, cloudEventOf, encodeCloudEvent } from './cloud-event.js';
export { canonicalJson, encodeCanonicalJson, fingerprintOf, quoteJsonString } from './canonical-json.js';
export type { DeltaForm, JsonPatchOperation } from '../types.js';
