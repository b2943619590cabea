import { describe, expect, it } from 'vitest';
import { deleteFromEntry, EmitCache, UNCONFIRMED_FINGERPRINT } from '../../src/cache/emit-cache.js';
import { fingerprintOf } from '../../src/payload/canonical-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { Change, ChangeEvent } from '../../src/types.js';

function change(event: ChangeEvent, data: string, uid = 'u1'): Change {
  const object = deepFreeze({ metadata: { name: 'a', namespace: 'ns', uid, '10': 'x', '2': 'y' }, data: { v: data } });
  return {
    key: 'configmaps|ns/a',
    resource: 'configmaps',
    event,
    object,
    uid,
    namespace: 'ns',
    name: 'a',
    assetId: 'cm',
    uniqueId: `c-${uid}`,
    fingerprint: fingerprintOf(object),
    observedAt: 0,
  };
}

describe('EmitCache', () => {
  it('is fresh only for the delivered fingerprint of the same uid', () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 0 });
    const v1 = change('add', '1');
    expect(cache.isFresh(v1)).toBe(false);
    cache.recordDelivered(v1);
    expect(cache.isFresh(v1)).toBe(true);
    expect(cache.isFresh(change('update', '2'))).toBe(false);
    expect(cache.isFresh({ ...v1, uid: 'u2' })).toBe(false);
  });

  it('expires entries emitCacheDuration after the last delivery; 0 never expires', () => {
    const clock = { t: 1000 };
    const cache = new EmitCache({ ttlMs: 500, now: () => clock.t });
    const v1 = change('add', '1');
    cache.recordDelivered(v1);
    clock.t = 1499;
    expect(cache.isFresh(v1)).toBe(true);
    clock.t = 1500;
    expect(cache.isFresh(v1)).toBe(false);
    cache.recordDelivered(v1); // re-delivery restarts the TTL
    clock.t = 1999;
    expect(cache.isFresh(v1)).toBe(true);
    // expiry hides the fingerprint but keeps the state for missed-delete reconciliation
    clock.t = 1e12;
    expect(cache.get(v1.key)?.uid).toBe('u1');

    const forever = new EmitCache({ ttlMs: 0, now: () => clock.t });
    forever.recordDelivered(v1);
    clock.t = 1e15;
    expect(forever.isFresh(v1)).toBe(true);
  });

  it('forgets an object when its delete is delivered, but not a newer incarnation', () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 0 });
    cache.recordDelivered(change('add', '1', 'u1'));
    cache.recordDelivered(change('add', '1', 'u2'));
    cache.recordDelivered(change('delete', '1', 'u1'));
    expect(cache.get('configmaps|ns/a')?.uid).toBe('u2');
    cache.recordDelivered(change('delete', '1', 'u2'));
    expect(cache.size).toBe(0);
  });

  it('rebuilds the last delivered state as a delete', () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => 0 });
    const v1 = change('update', '1');
    cache.recordDelivered(v1);
    const entry = cache.get(v1.key);
    if (entry === undefined) throw new Error('missing');
    const del = deleteFromEntry(v1.key, entry, 'restart', 42);
    expect(del).toEqual({ ...v1, event: 'delete', observedAt: 42, synthesized: 'restart' });
    expect(fingerprintOf(del.object)).toBe(v1.fingerprint);
  });

  it('merge (the cluster store next to the disk): adds what only the store knows, keeps agreement, makes disagreement unconfirmed', () => {
    const disk = new EmitCache({ ttlMs: 0, now: () => 0 });
    const v1 = change('add', '1');
    const v2 = change('update', '2');
    disk.recordDelivered(v2);
    const store = new EmitCache({ ttlMs: 0, now: () => 0 });
    store.recordDelivered(v1);
    const [[key, stored]] = [...store.entries()] as [[string, NonNullable<ReturnType<EmitCache['get']>>]];
    const version = disk.version;
    disk.merge(key, stored);
    // The sink holds v1 or v2: unconfirmed (sent again if present, deleted if gone), with the disk's newer state.
    expect(disk.get(key)?.fingerprint).toBe(UNCONFIRMED_FINGERPRINT);
    expect(JSON.parse(disk.get(key)?.state ?? '{}')).toEqual(v2.object);
    expect(disk.isFresh(v2)).toBe(false);
    expect(disk.version).toBeGreaterThan(version);
    const empty = new EmitCache({ ttlMs: 0, now: () => 0 });
    empty.merge(key, stored);
    expect(empty.isFresh(v1)).toBe(true);
    const same = new EmitCache({ ttlMs: 0, now: () => 0 });
    same.recordDelivered(v1);
    same.merge(key, stored);
    expect(same.isFresh(v1)).toBe(true);
  });
});
