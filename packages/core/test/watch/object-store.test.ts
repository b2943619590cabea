import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/watch/object-store.js';
import { metaNamespaceKey } from '../../src/watch/object-key.js';
import type { WatchEvent } from '../../src/watch/watch-event.js';

const obj = (name: string, uid: string, rv: string, namespace = 'ns'): Record<string, unknown> => ({ metadata: { name, namespace, uid, resourceVersion: rv } });
const summary = (events: WatchEvent[]): string[] =>
  events.map((e) => `${e.type}:${(e.object['metadata'] as { name: string; uid: string }).name}/${(e.object['metadata'] as { uid: string }).uid}${e.synthesized ? `(${e.synthesized})` : ''}`);

describe('ObjectStore', () => {
  it('keys namespaced objects by namespace/name and cluster-scoped ones by name', () => {
    expect(metaNamespaceKey(obj('a', 'u', '1'))).toBe('ns/a');
    expect(metaNamespaceKey({ metadata: { name: 'node-1' } })).toBe('node-1');
  });

  it('turns a re-created name into delete(recreated) + add, on watch and on relist', () => {
    const s = new ObjectStore();
    s.upsert(obj('a', 'u1', '1'));
    expect(summary(s.upsert(obj('a', 'u2', '2')))).toEqual(['delete:a/u1(recreated)', 'add:a/u2']);
    expect(summary(s.replace([obj('a', 'u3', '3')], () => true))).toEqual(['delete:a/u2(recreated)', 'add:a/u3']);
  });

  it('relist: deletes first, then adds and updates, nothing for unchanged objects, only within scope', () => {
    const s = new ObjectStore();
    s.replace([obj('keep', 'k', '1'), obj('change', 'c', '1'), obj('drop', 'd', '1'), obj('other', 'o', '1', 'elsewhere')], () => true);
    const events = s.replace([obj('keep', 'k', '1'), obj('change', 'c', '2'), obj('new', 'n', '3')], (key) => key.startsWith('ns/'));
    expect(summary(events)).toEqual(['delete:drop/d(relist)', 'update:change/c', 'add:new/n']);
    expect([...s.view.keys()].sort()).toEqual(['elsewhere/other', 'ns/change', 'ns/keep', 'ns/new']);
  });

  it('a watched delete carries the server final state and empties the key', () => {
    const s = new ObjectStore();
    s.upsert(obj('a', 'u1', '1'));
    const [e] = s.remove(obj('a', 'u1', '5'));
    expect(e).toMatchObject({ type: 'delete', object: { metadata: { resourceVersion: '5' } } });
    expect(e!.synthesized).toBeUndefined();
    expect(s.view.size).toBe(0);
  });

  it('keeps the skeleton of each object (name, namespace, uid, resourceVersion), not the object', () => {
    const s = new ObjectStore();
    const full = { kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '1', labels: { x: 'y' } }, data: { k: 'v' } };
    const [added] = s.upsert(full);
    expect(added!.object).toBe(full);
    expect(s.view.get('ns/a')).toEqual({ metadata: { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '1' } });
    expect(Object.isFrozen(s.view.get('ns/a'))).toBe(true);
    s.upsert({ metadata: { name: 'node-1', uid: 'n', resourceVersion: '2' } });
    expect(s.view.get('node-1')).toEqual({ metadata: { name: 'node-1', uid: 'n', resourceVersion: '2' } });
  });

  it('synthesized deletes carry the skeleton: relist, re-created on watch and on relist, and a delete of another incarnation', () => {
    const s = new ObjectStore();
    s.replace([{ metadata: { name: 'gone', namespace: 'ns', uid: 'g', resourceVersion: '1' }, data: { k: 'v' } }, obj('re', 'r1', '1'), obj('w', 'w1', '1')], () => true);
    const relist = s.replace([obj('re', 'r2', '2'), obj('w', 'w1', '1')], () => true);
    expect(relist.map((e) => e.object)).toEqual([
      { metadata: { name: 'gone', namespace: 'ns', uid: 'g', resourceVersion: '1' } },
      { metadata: { name: 're', namespace: 'ns', uid: 'r1', resourceVersion: '1' } },
      obj('re', 'r2', '2'),
    ]);
    const [recreated] = s.upsert({ ...obj('w', 'w2', '3'), data: {} });
    expect(recreated).toEqual({ type: 'delete', synthesized: 'recreated', object: { metadata: { name: 'w', namespace: 'ns', uid: 'w1', resourceVersion: '1' } } });
    expect(summary(s.remove(obj('re', 'r3', '4')))).toEqual(['delete:re/r2(recreated)', 'delete:re/r3']);
  });

  it('unchanged: the cached skeleton for the same uid and resourceVersion, undefined otherwise', () => {
    const s = new ObjectStore();
    s.upsert(obj('a', 'u1', '1'));
    expect(s.unchanged(obj('a', 'u1', '1'))).toBe(s.view.get('ns/a'));
    expect(s.unchanged(obj('a', 'u1', '2'))).toBeUndefined();
    expect(s.unchanged(obj('a', 'u2', '1'))).toBeUndefined();
    expect(s.unchanged(obj('b', 'u3', '1'))).toBeUndefined();
    expect(s.unchanged({ metadata: { name: 'a', namespace: 'ns', uid: 'u1' } })).toBeUndefined();
  });

  it('relist of skeletons for unchanged items: no event for them, full objects for what changed', () => {
    const s = new ObjectStore();
    s.replace([obj('keep', 'k', '1'), obj('change', 'c', '1')], () => true);
    const keep = s.view.get('ns/keep');
    const listed = [obj('keep', 'k', '1'), obj('change', 'c', '2')];
    const items = listed.map((item) => s.unchanged(item) ?? item);
    expect(items[0]).toBe(keep);
    const events = s.replace(items, () => true);
    expect(summary(events)).toEqual(['update:change/c']);
    expect(events[0]!.object).toBe(listed[1]);
    expect(s.view.get('ns/keep')).toBe(keep);
    expect((s.view.get('ns/change')!['metadata'] as { resourceVersion: string }).resourceVersion).toBe('2');
  });
});
