import type { Context } from '@marcbachmann/cel-js';
import { celEnvironment, type ExpressionVariable } from './cel-environment.js';
import { MAX_EXPRESSION_LENGTH, checkShape } from './expression-limits.js';
import { UNDECIDED, fastPath } from './fast-path.js';
import { WatchProxyError, brandError } from '../errors.js';

/**
 * What an expression is for: `filter` and `updateFilter` must give a `bool`, `transform` a map (sent as an item's
 * `data`).
 */
export type ExpressionKind = 'filter' | 'updateFilter' | 'transform';

/** Where an expression is configured: on a resource (only `filter`) or on an endpoint (sink). */
export type ExpressionScope = 'resource' | 'endpoint';

const ENDPOINT_VARIABLES: Readonly<Record<ExpressionKind, readonly ExpressionVariable[]>> = {
  filter: ['object', 'resource'],
  updateFilter: ['object', 'oldObject', 'resource'],
  transform: ['object', 'resource'],
};

/**
 * The variables a `kind` expression sees where it is configured: a resource's `filter` sees `object` only (it is
 * the resource's own rule); an endpoint's `filter` and `transform` also see `resource` (the plural name), its
 * `updateFilter` also `oldObject`. The one table for the library and the CLI's config check.
 */
export function expressionVariables(kind: ExpressionKind, scope: ExpressionScope): readonly ExpressionVariable[] {
  return scope === 'resource' ? ['object'] : ENDPOINT_VARIABLES[kind];
}

/**
 * An expression that does not compile (`WP_ERR_EXPRESSION_INVALID`): a syntax or type error, or a broken limit. `line` and `column` (1-based,
 * columns in UTF-16 code units as editors count them) point into the expression's own text, `offset` is the
 * 0-based index there; a config loader adds where the expression starts in its file.
 */
export class ExpressionError extends WatchProxyError {
  /** The expression as written. */
  readonly source: string;
  /** 0-based index in `source` where the problem is. */
  readonly offset: number;
  /** 1-based line within `source`. */
  readonly line: number;
  /** 1-based column within that line. */
  readonly column: number;
  /** The problem, without position: `Unexpected token: EOF`. */
  readonly summary: string;

  constructor(source: string, offset: number, summary: string, options?: { cause?: unknown }) {
    const { line, column } = lineAndColumn(source, offset);
    super('WP_ERR_EXPRESSION_INVALID', `${line}:${column}: ${summary}`, options);
    this.source = source;
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.summary = summary;
  }

  static {
    brandError(this, 'ExpressionError');
  }
}

/** A compiled expression: evaluate it with `run` as often as needed. */
export interface CompiledExpression {
  readonly source: string;
  readonly kind: ExpressionKind;
  /**
   * Evaluates with the given variables and returns the raw CEL value (integers are `bigint`; see `toJson`).
   * Throws on an evaluation error (a missing key without `has()`, a type mismatch): callers count and contain it.
   */
  run(variables: Readonly<Partial<Record<ExpressionVariable, unknown>>>): unknown;
}

/**
 * Parses and type-checks `source` as a `kind` expression over `variables`, within the limits of
 * `expression-limits.ts`. Throws `ExpressionError` pointing into the expression. Pure: no I/O.
 */
export function compileExpression(source: string, kind: ExpressionKind, variables: readonly ExpressionVariable[]): CompiledExpression {
  if (typeof source !== 'string' || source.trim() === '') throw new ExpressionError(String(source ?? ''), 0, 'the expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(source, MAX_EXPRESSION_LENGTH, `the expression is ${source.length} characters long, more than the ${MAX_EXPRESSION_LENGTH} allowed`);
  }
  const env = celEnvironment(variables);
  let parsed: ReturnType<typeof env.parse>;
  try {
    parsed = env.parse(source);
  } catch (error) {
    throw fromLibrary(source, error, variables);
  }
  const checked = parsed.check();
  if (!checked.valid) throw fromLibrary(source, checked.error, variables);
  const type = checked.type ?? 'dyn';
  if (kind === 'transform') {
    if (type !== 'dyn' && type !== 'map' && !type.startsWith('map<')) {
      throw new ExpressionError(source, 0, `a transform must give a map (the item's data), this gives ${type}`);
    }
  } else if (type !== 'bool' && type !== 'dyn') {
    throw new ExpressionError(source, 0, `${kind === 'filter' ? 'a filter' : 'an updateFilter'} must give a bool, this gives ${type}`);
  }
  const violation = checkShape(parsed.ast);
  if (violation !== undefined) throw new ExpressionError(source, violation.start, violation.message);
  const fast = fastPath(parsed.ast);
  const library = (values: Readonly<Partial<Record<ExpressionVariable, unknown>>>): unknown => parsed(values as Context);
  return Object.freeze({
    source,
    kind,
    run:
      fast === undefined
        ? library
        : (values: Readonly<Partial<Record<ExpressionVariable, unknown>>>): unknown => {
            const value = fast(values);
            return value === UNDECIDED ? library(values) : value;
          },
  });
}

/** The library's parse or type error as an `ExpressionError`, with a hint where a variable is not available. */
function fromLibrary(source: string, error: unknown, variables: readonly ExpressionVariable[]): ExpressionError {
  const e = error as { summary?: unknown; message?: unknown; range?: { start?: unknown } } | undefined;
  const offset = typeof e?.range?.start === 'number' ? Math.min(Math.max(0, e.range.start), source.length) : 0;
  let summary = typeof e?.summary === 'string' && e.summary !== '' ? e.summary : firstLine(e?.message);
  const unknown = /^Unknown variable: (\w+)/.exec(summary);
  if (unknown !== null) summary += ` (this expression can use ${variables.join(', ')})`;
  return new ExpressionError(source, offset, summary, { cause: error });
}

function firstLine(message: unknown): string {
  return typeof message === 'string' ? (message.split('\n')[0] ?? message) : 'invalid expression';
}

/** 1-based line and column of a 0-based offset. */
function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
