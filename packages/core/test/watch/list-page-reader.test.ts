import { describe, expect, it } from 'vitest';
import { ListPageReader, WHOLE_LIST_MAX_BYTES, continueTokenAtHead, parseWholeList } from '../../src/watch/list-page-reader.js';
import { list } from './list-fixture.js';

function read(bytes: Buffer, chunkSize: number, maxWholeBytes?: number): { items: unknown[]; envelope: unknown; streaming: boolean } {
  const items: unknown[] = [];
  const reader = new ListPageReader((item) => items.push(item), maxWholeBytes);
  for (let i = 0; i < bytes.length; i += chunkSize) reader.write(bytes.subarray(i, i + chunkSize));
  return { items, envelope: reader.end(), streaming: reader.streaming };
}

function errorOf(fn: () => unknown): Error | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

describe('ListPageReader', () => {
  const bytes = Buffer.from(JSON.stringify(list, null, 1));

  it('gives the same items and envelope whole or streamed, whatever the chunking and wherever the bound falls', () => {
    for (const bound of [WHOLE_LIST_MAX_BYTES, bytes.length, bytes.length - 1, 100, 0]) {
      for (const size of [1, 7, 64, bytes.length]) {
        const { items, envelope, streaming } = read(bytes, size, bound);
        expect(items, `bound ${bound}, chunk ${size}`).toEqual(list.items);
        expect(envelope).toEqual({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: list.metadata, items: [] });
        expect(streaming).toBe(bytes.length > bound);
      }
    }
  });

  it('parses a body within the bound in one piece, and streams once it outgrows it', () => {
    const seen: string[] = [];
    const reader = new ListPageReader((item) => seen.push((item['metadata'] as { name: string }).name), 200);
    const text = JSON.stringify(list);
    const cut = text.indexOf('{"metadata":{"name":"c"');
    reader.write(Buffer.from(text.slice(0, 150)));
    expect(reader.streaming).toBe(false);
    reader.write(Buffer.from(text.slice(150, cut)));
    // Past 200 bytes: what was kept went through the streaming parser, so complete items are out already.
    expect(reader.streaming).toBe(true);
    expect(seen).toEqual(['a', 'b']);
    reader.write(Buffer.from(text.slice(cut)));
    expect(reader.end()).toMatchObject({ metadata: { resourceVersion: '42' } });
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('treats missing or null items as an empty list, as the streaming parser does', () => {
    for (const bound of [WHOLE_LIST_MAX_BYTES, 0]) {
      expect(read(Buffer.from('{"items":[],"metadata":{"resourceVersion":"1"}}'), 5, bound)).toMatchObject({ items: [], envelope: { metadata: { resourceVersion: '1' } } });
      expect(read(Buffer.from('{"items":null,"metadata":{}}'), 5, bound).items).toEqual([]);
      expect(read(Buffer.from('{"metadata":{"continue":"x"}}'), 5, bound)).toMatchObject({ items: [], envelope: { metadata: { continue: 'x' } } });
      expect(read(Buffer.from('{"items":[{"a":1}],"metadata":{"continue":"x"}}'), 4, bound).items).toEqual([{ a: 1 }]);
    }
  });

  it('rejects a body that ends early with the same message either way', () => {
    for (const bound of [WHOLE_LIST_MAX_BYTES, 0]) {
      const reader = new ListPageReader(() => {}, bound);
      reader.write(bytes.subarray(0, bytes.length - 10));
      const error = errorOf(() => reader.end());
      expect(error).toBeInstanceOf(SyntaxError);
      expect(error?.message).toBe('list response ended before its JSON was complete');
    }
  });

  it('rejects a body that is not an object, and an item that is not an object', () => {
    expect(errorOf(() => parseWholeList('[1,2]', () => {}))?.message).toBe('list response is not a JSON object');
    expect(errorOf(() => parseWholeList('"text"', () => {}))?.message).toBe('list response is not a JSON object');
    expect(errorOf(() => parseWholeList('{"items":[{"a":1},[2]]}', () => {}))?.message).toBe('list item is not a JSON object');
    expect(errorOf(() => parseWholeList('{"items":[null]}', () => {}))?.message).toBe('list item is not a JSON object');
  });

  it('never quotes a malformed body in its error (a Secret list item holds Secret data, and the error is logged)', () => {
    const body = Buffer.from('{"items":[{"kind":"Secret","data":{"password":hunter2-secret}}],"metadata":{}}');
    for (const bound of [WHOLE_LIST_MAX_BYTES, 0]) {
      const reader = new ListPageReader(() => {}, bound);
      const error = errorOf(() => {
        reader.write(body);
        return reader.end();
      });
      expect(error).toBeInstanceOf(SyntaxError);
      expect(error?.message).not.toContain('hunter2');
      expect(error?.cause).toBeUndefined();
    }
  });

  it('keeps no object in the envelope it returns', () => {
    const envelope = parseWholeList(JSON.stringify(list), () => {}) as { items?: unknown[] };
    expect(envelope.items).toEqual([]);
  });
});

describe('continueTokenAtHead', () => {
  const head = (text: string): string | undefined => continueTokenAtHead(Buffer.from(text));

  it('reads the token from the list metadata the apiserver writes first', () => {
    expect(head('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"10227","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":9500},"items":[{"meta')).toBe(
      'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ',
    );
    expect(head('{"metadata":{"continue":"abc"},"items":[')).toBe('abc');
  });

  it("is '' on a last page (metadata without a token)", () => {
    expect(head('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[')).toBe('');
  });

  it('is undefined while the metadata is incomplete, or when the layout is not the one it knows', () => {
    expect(head('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7","contin')).toBeUndefined();
    expect(head('{"items":[],"metadata":{"continue":"abc"}}')).toBeUndefined();
    expect(head('{"kind":"ConfigMapList","metadata":{"continue":"a}b"},"items":[]}')).toBeUndefined();
    expect(head('not json at all')).toBeUndefined();
  });
});

