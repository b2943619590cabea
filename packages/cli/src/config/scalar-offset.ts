/**
 * Maps an index in a YAML string's value back to its place in the source text, so that a problem found inside a
 * string (a CEL expression's syntax error) is reported at the line and column where the operator sees it, through
 * quotes, escapes and block scalars (`|`, `>`).
 */

/** The YAML scalar styles (`Scalar.type` of the yaml library). */
export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

/**
 * The index in `raw` (the scalar's source text, from its first character: the quote or the `|`/`>` header) of the
 * character that is at `valueOffset` in the parsed value. Exact for single-line scalars, escapes and literal
 * blocks; where YAML folds line breaks (plain and quoted scalars over several lines, `>` blocks) each line break
 * with the indentation around it counts as the one character it becomes. An offset past the end gives the end.
 */
export function scalarSourceOffset(raw: string, style: ScalarStyle, valueOffset: number): number {
  switch (style) {
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return blockOffset(raw, valueOffset);
    case 'QUOTE_DOUBLE':
      return flowOffset(raw, 1, valueOffset, doubleQuotedStep);
    case 'QUOTE_SINGLE':
      return flowOffset(raw, 1, valueOffset, singleQuotedStep);
    default:
      return flowOffset(raw, 0, valueOffset, () => 1);
  }
}

/** How many source characters the value character starting at `i` takes. */
type Step = (raw: string, i: number) => number;

function doubleQuotedStep(raw: string, i: number): number {
  if (raw[i] !== '\\') return 1;
  switch (raw[i + 1]) {
    case 'x':
      return 4;
    case 'u':
      return 6;
    case 'U':
      return 10;
    default:
      return 2;
  }
}

function singleQuotedStep(raw: string, i: number): number {
  return raw[i] === "'" && raw[i + 1] === "'" ? 2 : 1;
}

function flowOffset(raw: string, start: number, valueOffset: number, step: Step): number {
  let i = start;
  for (let seen = 0; seen < valueOffset && i < raw.length; seen++) {
    if (raw[i] === '\n' || (raw[i] === '\r' && raw[i + 1] === '\n')) {
      // A line break folds, with the next line's indentation, into one space.
      i += raw[i] === '\r' ? 2 : 1;
      while (raw[i] === ' ' || raw[i] === '\t') i++;
      continue;
    }
    i += step(raw, i);
  }
  return Math.min(i, raw.length);
}

function blockOffset(raw: string, valueOffset: number): number {
  const header = raw.indexOf('\n');
  if (header < 0) return raw.length;
  const explicit = /^[|>][+-]?([1-9])?/.exec(raw)?.[1];
  let i = header + 1;
  let indent = explicit === undefined ? undefined : Number(explicit);
  if (indent === undefined) {
    // The first line with content sets the indentation (leading blank lines do not).
    const content = /^(?:[ \t]*\r?\n)*( *)/.exec(raw.slice(i));
    indent = content?.[1]?.length ?? 0;
  }
  let seen = 0;
  while (i < raw.length) {
    const end = raw.indexOf('\n', i);
    const lineEnd = end < 0 ? raw.length : end;
    const textStart = Math.min(i + indent, lineEnd);
    const length = lineEnd - textStart;
    if (seen + length >= valueOffset) return textStart + (valueOffset - seen);
    // The line's text, then its line break (a newline, or the space a `>` block folds it into).
    seen += length + 1;
    i = lineEnd + 1;
  }
  return raw.length;
}
