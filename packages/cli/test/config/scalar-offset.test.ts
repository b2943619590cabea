import { LineCounter, parseDocument, type Scalar } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scalarSourceOffset, type ScalarStyle } from '../../src/config/scalar-offset.js';

/** Where the value character at `offset` of `key` is in `text`, as `line:col`, and the character found there. */
function locate(text: string, key: string, offset: number): { at: string; char: string | undefined; value: string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const node = doc.get(key, true) as Scalar;
  const [start, end] = node.range as [number, number, number];
  const raw = text.slice(start, end);
  const index = start + scalarSourceOffset(raw, node.type as ScalarStyle, offset);
  const { line, col } = lineCounter.linePos(index);
  return { at: `${line}:${col}`, char: text[index], value: String(node.value) };
}

describe('scalarSourceOffset', () => {
  it('plain: the same index, after the key', () => {
    const found = locate('filter: object.spec.type == "LB"\n', 'filter', 7);
    expect(found).toMatchObject({ at: '1:16', char: 's' });
    expect(found.value[7]).toBe('s');
  });

  it('double quotes: skips the quote and counts each escape as one character', () => {
    const text = 'filter: "a == \\"b\\" && \\u00e9 == c"\n';
    const found = locate(text, 'filter', 'a == "b" && é == '.length);
    expect(found.value[found.value.length - 1]).toBe('c');
    expect(found.char).toBe('c');
  });

  it("single quotes: '' is one character", () => {
    const found = locate("filter: 'it''s x'\n", 'filter', 5);
    expect(found.char).toBe('x');
  });

  it('literal block: line and column inside the block', () => {
    const text = 'x: 1\nfilter: |\n  object.spec.type ==\n    "LoadBalancer" &&\n  )\n';
    const value = 'object.spec.type ==\n  "LoadBalancer" &&\n)';
    const found = locate(text, 'filter', value.indexOf(')'));
    expect(found).toMatchObject({ at: '5:3', char: ')' });
    expect(locate(text, 'filter', value.indexOf('"')).at).toBe('4:5');
  });

  it('folded block: each folded line break counts as the space it becomes', () => {
    const text = 'filter: >-\n  object.spec.type\n  == "x"\n';
    const found = locate(text, 'filter', 'object.spec.type '.length);
    expect(found.value).toBe('object.spec.type == "x"');
    expect(found).toMatchObject({ at: '3:3', char: '=' });
  });

  it('plain scalar over two lines', () => {
    const text = 'filter: object.a ==\n  object.b\n';
    const found = locate(text, 'filter', 'object.a == '.length);
    expect(found).toMatchObject({ at: '2:3', char: 'o' });
  });

  it('an offset at the end stays inside the text', () => {
    const text = 'filter: "abc"\n';
    expect(locate(text, 'filter', 3).char).toBe('"');
  });
});
