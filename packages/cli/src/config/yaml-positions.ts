/**
 * Maps a key path (`remoteEndpoints.0.url`) back to a line and column of the YAML source, so every problem is
 * reported where the operator has to fix it.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';

import { scalarSourceOffset } from './scalar-offset.js';
import type { ScalarStyle } from './scalar-offset.js';

/** A 1-based position in the source. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Which part of a mapping entry to point at: the key (unknown or duplicate keys) or the value (everything else). */
export type PositionTarget = 'key' | 'value';

function keyMatches(key: unknown, segment: string | number): boolean {
  const value = isScalar(key) ? key.value : key;
  return String(value) === String(segment);
}

/**
 * The position of the deepest node that exists along `path`: when the exact node is missing (a required key
 * that is absent), the mapping that should have held it is the right place to point at.
 */
export function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
  target: PositionTarget = 'value',
): SourcePosition {
  const { line, col } = lineCounter.linePos(locate(doc, path, target).offset);
  return { line, column: col };
}

/**
 * The position of the character at `valueOffset` inside the string value at `path` (a CEL expression's syntax
 * error), through quotes, escapes and block scalars: where the operator sees that character. `text` is the
 * document's source. Falls back to where the value starts when the path does not end at a string scalar.
 */
export function positionInValue(
  doc: Document,
  lineCounter: LineCounter,
  text: string,
  path: readonly (string | number)[],
  valueOffset: number,
): SourcePosition {
  const found = locate(doc, path, 'value');
  let node = found.node;
  if (isAlias(node)) node = node.resolve(doc);
  let offset = found.offset;
  if (found.exact && isScalar(node) && Array.isArray(node.range)) {
    const [start, end] = node.range;
    offset = start + scalarSourceOffset(text.slice(start, end), (node.type ?? 'PLAIN') as ScalarStyle, valueOffset);
  }
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** The offset to point at for `path`, the node found there, and whether the whole path was found. */
function locate(doc: Document, path: readonly (string | number)[], target: PositionTarget): { offset: number; node: unknown; exact: boolean } {
  let node: unknown = doc.contents;
  let offset = offsetOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string | number;
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = findPair(doc, node, segment);
      if (pair === undefined) return { offset, node, exact: false };
      keyNode = pair.key;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    } else {
      return { offset, node, exact: false };
    }
    const last = i === path.length - 1;
    const keyOffset = offsetOf(keyNode);
    if (last && target === 'key' && keyOffset !== undefined) return { offset: keyOffset, node: keyNode, exact: true };
    const valueOffset = offsetOf(next);
    // `key:` with no value has an empty node that sits after the colon; the key is the better place.
    if (valueOffset === undefined || (isScalar(next) && next.value === null && keyOffset !== undefined)) {
      return { offset: keyOffset ?? offset, node: next, exact: false };
    }
    offset = valueOffset;
    node = next;
  }
  return { offset, node, exact: true };
}

/**
 * The entry for `segment` in a mapping, looking through `<<: *anchor` merge keys (enabled in the loader for
 * yaml.v2 compatibility) so a merged value is located where it is written.
 */
function findPair(doc: Document, map: YAMLMap, segment: string | number, depth = 0): Pair | undefined {
  const own = map.items.find((item) => keyMatches(item.key, segment));
  if (own !== undefined || depth > 10) return own;
  for (const item of map.items) {
    // With `merge: true` the key's value is a symbol; its source text is still `<<`.
    if (!(isScalar(item.key) && item.key.source === '<<')) continue;
    const sources = isSeq(item.value) ? item.value.items : [item.value];
    for (const source of sources) {
      const target = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(target)) {
        const found = findPair(doc, target, segment, depth + 1);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
