import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * Longest expression accepted, in characters. A filter or a projection is a line or a short block; anything
 * longer is a mistake (a pasted object) or an attempt to make the daemon work hard on every change.
 */
export const MAX_EXPRESSION_LENGTH = 4096;

/**
 * Structural limits of the parser (`@marcbachmann/cel-js` `limits`): most AST nodes, deepest nesting, most
 * elements of a list literal, entries of a map literal, arguments of a call. Far above what a projection of a
 * few dozen fields needs, far below what could make one evaluation costly.
 */
export const PARSER_LIMITS = Object.freeze({
  maxAstNodes: 1000,
  maxDepth: 32,
  maxListElements: 100,
  maxMapEntries: 100,
  maxCallArguments: 8,
});

/**
 * Deepest nesting of comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`), one inside another's
 * body. Each level multiplies the work by the length of a list in the object: two levels (containers, then
 * each container's ports) cover what filters ask, three would be cubic in the object's size.
 */
export const MAX_COMPREHENSION_NESTING = 2;

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Where a limit was broken: a message and the character range in the expression. */
export interface ShapeViolation {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Checks what the parser's own limits do not: comprehension nesting, and that every regular expression is a
 * literal without nested quantifiers. `matches()` runs JavaScript's backtracking engine, where `(a+)+$` on a long
 * string takes exponential time; a literal pattern can be checked when the config loads, a computed one cannot.
 * Returns the first violation, or undefined.
 */
export function checkShape(ast: ASTNode): ShapeViolation | undefined {
  return visit(ast, 0);
}

function visit(node: ASTNode, nesting: number): ShapeViolation | undefined {
  switch (node.op) {
    case 'value':
    case 'id':
      return undefined;
    case 'rcall': {
      const [name, receiver, args] = node.args;
      const found = visit(receiver, nesting);
      if (found !== undefined) return found;
      if (name === 'matches') {
        const pattern = args[0];
        if (pattern?.op !== 'value' || typeof pattern.args !== 'string') {
          return at(pattern ?? node, 'matches() needs a literal pattern (a string in quotes), so it can be checked when the config loads');
        }
        const risky = nestedQuantifier(pattern.args);
        if (risky !== undefined) return at(pattern, `matches() pattern repeats a group that contains a repetition or an alternative (${risky}): it can take exponential time; rewrite it without repeating such a group`);
      }
      const inner = COMPREHENSIONS.has(name) ? nesting + 1 : nesting;
      if (inner > MAX_COMPREHENSION_NESTING) {
        return at(node, `comprehensions nest at most ${MAX_COMPREHENSION_NESTING} deep (each level multiplies the work by a list's length)`);
      }
      for (const arg of args) {
        const violation = visit(arg, inner);
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    case 'call': {
      for (const arg of node.args[1]) {
        const violation = visit(arg, nesting);
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    case 'map': {
      for (const [key, value] of node.args) {
        const violation = visit(key, nesting) ?? visit(value, nesting);
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    case 'list': {
      for (const item of node.args) {
        const violation = visit(item, nesting);
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    case '.':
    case '.?':
      return visit(node.args[0], nesting);
    case '!_':
    case '-_':
      return visit(node.args, nesting);
    case '?:':
      return visit(node.args[0], nesting) ?? visit(node.args[1], nesting) ?? visit(node.args[2], nesting);
    default: {
      // Binary operators, index access, && and ||: two operands.
      const [left, right] = node.args as [ASTNode, ASTNode];
      return visit(left, nesting) ?? visit(right, nesting);
    }
  }
}

function at(node: ASTNode, message: string): ShapeViolation {
  return { message, start: node.range.start, end: node.range.end };
}

/**
 * The first group that is repeated (`*`, `+`, `{n,}`) and contains a repetition or an alternative itself, like
 * `(a+)+`, `(\w*,?)*` or `(a|aa)+`: the shapes behind exponential backtracking. A heuristic that errs on the
 * side of refusing (`(ab|cd)+` is refused though harmless); what it lets through backtracks at most
 * polynomially. Returns the group's text.
 */
export function nestedQuantifier(pattern: string): string | undefined {
  // For each open group: its start, and whether a repetition occurred inside it.
  const groups: { start: number; repeatsInside: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '|') {
      const open = groups.at(-1);
      if (open !== undefined) open.repeatsInside = true;
      continue;
    }
    if (c === '(') {
      groups.push({ start: i, repeatsInside: false });
      continue;
    }
    if (c === ')') {
      const group = groups.pop();
      if (group === undefined) continue;
      const repeated = isUnboundedRepeat(pattern, i + 1);
      if (repeated && group.repeatsInside) return pattern.slice(group.start, i + 2);
      // A repeated group counts as a repetition inside the group around it.
      const outer = groups.at(-1);
      if (outer !== undefined && (group.repeatsInside || repeated)) outer.repeatsInside = true;
      continue;
    }
    if (isUnboundedRepeat(pattern, i)) {
      const outer = groups.at(-1);
      if (outer !== undefined) outer.repeatsInside = true;
    }
  }
  return undefined;
}

/** Whether the character at `i` repeats what precedes it without a small bound: `*`, `+`, `{n,}`, `{n,m}` with m > 1. */
function isUnboundedRepeat(pattern: string, i: number): boolean {
  const c = pattern[i];
  if (c === '*' || c === '+') return true;
  if (c !== '{') return false;
  const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (match === null) return false;
  if (match[2] === undefined) return Number(match[1]) > 1;
  return match[3] === '' || Number(match[3]) > 1;
}
