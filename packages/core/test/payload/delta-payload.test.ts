import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import { fingerprintOf } from '../../src/payload/canonical-json.js';
import { createJsonPatch, MAX_ARRAY_DIFF_CELLS } from '../../src/payload/json-patch.js';
import { encodeWatchProxyPayload } from '../../src/payload/watch-proxy-payload.js';
import { applyPatch, type Operation } from 'rfc6902';
import type { Change } from '../../src/types.js';

function item(object: Record<string, unknown>, delta?: Change['delta']): Change {
  const frozen = deepFreeze(object);
  return Object.freeze({
    key: 'services|ns/a',
    resource: 'services',
    event: 'update',
    object: frozen,
    uid: 'u1',
    namespace: 'ns',
    name: 'a',
    assetId: 'svc',
    uniqueId: 'c-u1',
    fingerprint: fingerprintOf(frozen),
    observedAt: 0,
    ...(delta === undefined ? {} : { delta }),
  });
}

describe('encodeWatchProxyPayload with deltaUpdates forms', () => {
  const object = { metadata: { name: 'a', uid: 'u1' }, spec: { port: 81 } };

  it('a whole item carries its fingerprint after event; without a form the entry is as before', () => {
    const whole = item(object, { form: 'full' });
    expect(encodeWatchProxyPayload([item(object)], null)).toBe(
      '{"data":[{"asset_type_id":"svc","data":{"metadata":{"name":"a","uid":"u1"},"spec":{"port":81}},"uniqueId":"c-u1","event":"update"}],"meta":null}',
    );
    expect(encodeWatchProxyPayload([whole], null)).toBe(
      `{"data":[{"asset_type_id":"svc","data":{"metadata":{"name":"a","uid":"u1"},"spec":{"port":81}},"uniqueId":"c-u1","event":"update","fingerprint":"${whole.fingerprint}"}],"meta":null}`,
    );
  });

  it('a patch item carries "patch" instead of "data", then the base and result fingerprints; Go escaping applies inside', () => {
    const patch = deepFreeze([{ op: 'replace', path: '/spec/port', value: '<81>' }] as const);
    const patched = item(object, { form: 'patch', patch, baseFingerprint: 'BASE' });
    const body = encodeWatchProxyPayload([patched, item(object, { form: 'full' })], { cluster: 'c' });
    expect(body).toBe(
      '{"data":[{"asset_type_id":"svc","patch":[{"op":"replace","path":"/spec/port","value":"\\u003c81\\u003e"}],"uniqueId":"c-u1","event":"update",' +
        `"baseFingerprint":"BASE","fingerprint":"${patched.fingerprint}"},` +
        `{"asset_type_id":"svc","data":{"metadata":{"name":"a","uid":"u1"},"spec":{"port":81}},"uniqueId":"c-u1","event":"update","fingerprint":"${patched.fingerprint}"}],"meta":{"cluster":"c"}}`,
    );
    expect(encodeWatchProxyPayload([patched], null, 'buffer').toString('utf8')).toBe(encodeWatchProxyPayload([patched], null));
  });
});

describe('createJsonPatch', () => {
  it('is minimal for an edit inside a list (one operation, not the list again)', () => {
    const base = { list: [{ name: 'a', v: 1 }, { name: 'b', v: 1 }, { name: 'c', v: 1 }] };
    const next = { list: [{ name: 'a', v: 1 }, { name: 'c', v: 1 }] };
    expect(createJsonPatch(base, next)).toEqual([{ op: 'remove', path: '/list/1' }]);
  });

  it('bounds the array diff: a long list of equal length is diffed index by index, of another length replaced whole', () => {
    const n = Math.ceil(Math.sqrt(MAX_ARRAY_DIFF_CELLS)) + 50;
    const base = { list: Array.from({ length: n }, (_, i) => ({ i, v: 0 })) };
    const edited = { list: base.list.map((e, i) => (i === 7 ? { ...e, v: 1 } : e)) };
    expect(createJsonPatch(base, edited)).toEqual([{ op: 'replace', path: '/list/7/v', value: 1 }]);
    const longer = { list: [...base.list, { i: n, v: 0 }] };
    expect(createJsonPatch(base, longer)).toEqual([{ op: 'replace', path: '/list', value: longer.list }]);
    for (const next of [edited, longer]) {
      const target = structuredClone(base);
      applyPatch(target, createJsonPatch(base, next) as Operation[]);
      expect(target).toEqual(next);
    }
  });

  it('returns a frozen patch (its text is memoized like an object\'s)', () => {
    expect(Object.isFrozen(createJsonPatch({ a: 1 }, { a: 2 }))).toBe(true);
  });
});
