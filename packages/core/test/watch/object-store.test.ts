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

  it('dedupe: the cached object for the same uid and resourceVersion, the item otherwise', () => {
    const s = new ObjectStore();
    const cached = obj('a', 'u1', '1');
    s.upsert(cached);
    expect(s.dedupe(obj('a', 'u1', '1'))).toBe(cached);
    const newer = obj('a', 'u1', '2');
    expect(s.dedupe(newer)).toBe(newer);
    const recreated = obj('a', 'u2', '1');
    expect(s.dedupe(recreated)).toBe(recreated);
    const unknown = obj('b', 'u3', '1');
    expect(s.dedupe(unknown)).toBe(unknown);
    const noVersion = { metadata: { name: 'a', namespace: 'ns', uid: 'u1' } };
    expect(s.dedupe(noVersion)).toBe(noVersion);
  });

  it('relist of deduped items: no event for unchanged objects, which stay the cached copies', () => {
    const s = new ObjectStore();
    const keep = obj('keep', 'k', '1');
    s.replace([keep, obj('change', 'c', '1')], () => true);
    const items = [obj('keep', 'k', '1'), obj('change', 'c', '2')].map((item) => s.dedupe(item));
    expect(summary(s.replace(items, () => true))).toEqual(['update:change/c']);
    expect(s.view.get('ns/keep')).toBe(keep);
    expect((s.view.get('ns/change')!['metadata'] as { resourceVersion: string }).resourceVersion).toBe('2');
  });
});
