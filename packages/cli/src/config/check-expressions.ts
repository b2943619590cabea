/**
 * Compiles every CEL expression of a well-shaped config file, as core will when the pipeline is built, so a
 * syntax or type error is refused when the file loads (`validate`, start-up, reload) and reported at the
 * character of the expression where it is, not only at its key.
 */
import { ExpressionError, MAX_EXPRESSION_LENGTH, compileExpression, expressionVariables } from '@watch-proxy/core/expression';
import type { ExpressionKind, ExpressionScope } from '@watch-proxy/core/expression';

/** An expression that does not compile: its key path, the index in its text where the problem is, and what. */
export interface ExpressionFinding {
  readonly path: readonly (string | number)[];
  /** 0-based index in the expression's text (the YAML value), for `positionInValue`. */
  readonly offset: number;
  readonly message: string;
}

const ENDPOINT_KINDS: readonly ExpressionKind[] = ['filter', 'updateFilter', 'transform'];

/** The entries of a list in the file's data, or none when it is not a list (the schema reports that). */
function entries(value: unknown): readonly Record<string, unknown>[] {
  return Array.isArray(value) ? value.map((entry: unknown) => (typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {})) : [];
}

/**
 * One finding per expression that does not compile, in file order. Reads the file's data as loaded (`input`,
 * before the schema), so that a file with other problems gets its expressions checked in the same round; a value
 * the schema refuses anyway (not a scalar, empty, too long) is left to the schema's message.
 */
export function checkExpressions(input: Readonly<Record<string, unknown>>): ExpressionFinding[] {
  const findings: ExpressionFinding[] = [];
  const check = (value: unknown, kind: ExpressionKind, scope: ExpressionScope, path: readonly (string | number)[]): void => {
    // A number or boolean is its text, as the schema reads it (`filter: true`).
    const source = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    if (typeof source !== 'string' || source === '' || source.length > MAX_EXPRESSION_LENGTH) return;
    try {
      compileExpression(source, kind, expressionVariables(kind, scope));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // "Unexpected end" points past a block scalar's final line break: point at the end of the text instead.
      findings.push({ path, offset: Math.min(error.offset, source.trimEnd().length), message: `invalid CEL ${kind}: ${error.summary}` });
    }
  };
  entries(input['resources']).forEach((resource, i) => check(resource['filter'], 'filter', 'resource', ['resources', i, 'filter']));
  entries(input['remoteEndpoints']).forEach((endpoint, i) => {
    for (const kind of ENDPOINT_KINDS) check(endpoint[kind], kind, 'endpoint', ['remoteEndpoints', i, kind]);
  });
  return findings;
}
