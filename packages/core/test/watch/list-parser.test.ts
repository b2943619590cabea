import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/watch/line-splitter.js';
import { ListParser } from '../../src/watch/list-parser.js';
import { list } from './list-fixture.js';

function parseInChunks(bytes: Buffer, size: number): { items: unknown[]; envelope: unknown } {
  const items: unknown[] = [];
  const parser = new ListParser((item) => items.push(item));
  for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
  return { items, envelope: parser.end() };
}

describe('ListParser', () => {
  const bytes = Buffer.from(JSON.stringify(list, null, 1));

  it('yields every item and the envelope, for every chunk size (split at every byte boundary)', () => {
    for (let size = 1; size <= bytes.length; size += size < 20 ? 1 : 37) {
      const { items, envelope } = parseInChunks(bytes, size);
      expect(items, `chunk size ${size}`).toEqual(list.items);
      expect(envelope).toEqual({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: list.metadata, items: [] });
    }
  });

  it('handles an empty list and items before metadata', () => {
    expect(parseInChunks(Buffer.from('{"items":[],"metadata":{"resourceVersion":"1"}}'), 3)).toEqual({
      items: [],
      envelope: { items: [], metadata: { resourceVersion: '1' } },
    });
    expect(parseInChunks(Buffer.from('{"items":null,"metadata":{}}'), 5).items).toEqual([]);
    const first = parseInChunks(Buffer.from('{"items":[{"a":1}],"metadata":{"continue":"x"}}'), 4);
    expect(first.items).toEqual([{ a: 1 }]);
  });

  it('rejects a body that ends early', () => {
    const parser = new ListParser(() => {});
    parser.write(bytes.subarray(0, bytes.length - 10));
    expect(() => parser.end()).toThrow(SyntaxError);
  });

  it('never quotes a malformed item in its error (a Secret list item holds Secret data, and the error is logged)', () => {
    const parser = new ListParser(() => {});
    const error = (() => {
      try {
        parser.write(Buffer.from('{"items":[{"kind":"Secret","data":{"password":hunter2-secret}}],"metadata":{}}'));
        return undefined;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(SyntaxError);
    expect(error?.message).not.toContain('hunter2');
  });

  it('never joins the whole body: each item is parsed as soon as it is complete', () => {
    const seen: string[] = [];
    const parser = new ListParser((item) => seen.push((item['metadata'] as { name: string }).name));
    const text = JSON.stringify(list);
    const cut = text.indexOf('{"metadata":{"name":"c"');
    parser.write(Buffer.from(text.slice(0, cut)));
    expect(seen).toEqual(['a', 'b']);
    parser.write(Buffer.from(text.slice(cut)));
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('LineSplitter', () => {
  it('splits lines across chunks, including multi-byte characters cut in half', () => {
    const text = '{"a":"✓"}\n\n{"b":2}\n{"c":';
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size++) {
      const s = new LineSplitter();
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += size) lines.push(...s.push(bytes.subarray(i, i + size)).map(String));
      expect(lines).toEqual(['{"a":"✓"}', '{"b":2}']);
      expect(String(s.rest())).toBe('{"c":');
    }
  });

  it('has no rest after a final newline', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('x\n')).map(String)).toEqual(['x']);
    expect(s.rest()).toBeUndefined();
  });

  it('skips blank lines (spaces, tabs, CR) and a blank rest', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from(' \r\n\t\n{"a":1}\r\n  ')).map(String)).toEqual(['{"a":1}\r']);
    expect(s.rest()).toBeUndefined();
  });
});
