import type { Logger } from '../logger.js';
import type { ExpressionVariable } from './cel-environment.js';
import type { CompiledExpression } from './compile-expression.js';
import { toJson, type JsonValue } from './to-json.js';

/** Counters of one rule; monotonic. */
export interface RuleStats {
  /** Evaluations that let the object through (a filter gave true, a transform gave a map). */
  readonly matched: number;
  /** Evaluations that gave false (a filter). */
  readonly dropped: number;
  /** Evaluations that failed (counted as not matching, drop reason `filter-error`). */
  readonly errors: number;
}

/** The variables one evaluation sees. */
export type RuleVariables = Readonly<Partial<Record<ExpressionVariable, unknown>>>;

/**
 * How many object keys a rule remembers having logged an error for. Past this, errors are still counted but no
 * longer logged per key (one line says so): a rule that fails on every object of a large cluster must not flood
 * the log or grow without bound.
 */
export const MAX_LOGGED_KEYS_PER_RULE = 10_000;

/** Settings of one rule. */
export interface ExpressionRuleOptions {
  /** Where the rule is configured, for logs and metrics: `resources[0].filter`, `remoteEndpoints[1].transform`. */
  readonly name: string;
  readonly expression: CompiledExpression;
  readonly logger: Logger;
}

/**
 * One configured expression at run time: evaluates it, counts what came of it, and contains every failure. An
 * evaluation error (a missing key without `has()`, a type mismatch, a value with no JSON form) makes the object
 * count as not matching; it is logged once per object key with the rule's name, the key and the error's kind and
 * position in the expression, never with the object's values (a Secret's data could be in them).
 */
export class ExpressionRule {
  readonly name: string;
  readonly source: string;
  readonly #expression: CompiledExpression;
  readonly #logger: Logger;
  readonly #logged = new Set<string>();
  #saturated = false;
  #matched = 0;
  #dropped = 0;
  #errors = 0;

  constructor(options: ExpressionRuleOptions) {
    this.name = options.name;
    this.source = options.expression.source;
    this.#expression = options.expression;
    this.#logger = options.logger;
  }

  /**
   * A filter's verdict on the object named `key`: true lets it through; false for `false`, an evaluation error or
   * a result that is not a bool (each counted as what it is). Never throws.
   */
  test(variables: RuleVariables, key: string): boolean {
    return this.verdict(variables, key) === true;
  }

  /** Like `test`, but tells an evaluation error (`'error'`) apart from `false`. Never throws. */
  verdict(variables: RuleVariables, key: string): boolean | 'error' {
    let result: unknown;
    try {
      result = this.#expression.run(variables);
    } catch (error) {
      this.#failed(key, error);
      return 'error';
    }
    if (result === true) {
      this.#matched++;
      return true;
    }
    if (result === false) {
      this.#dropped++;
      return false;
    }
    this.#failed(key, new Error(`gave ${describe(result)}, not a bool`));
    return 'error';
  }

  /** A transform's value for the object named `key` as JSON data, or `undefined` after an error. Never throws. */
  project(variables: RuleVariables, key: string): { readonly [key: string]: JsonValue } | undefined {
    let json: JsonValue;
    try {
      json = toJson(this.#expression.run(variables));
    } catch (error) {
      this.#failed(key, error);
      return undefined;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      this.#failed(key, new Error(`gave ${describe(json)}, not a map`));
      return undefined;
    }
    this.#matched++;
    return json as { readonly [key: string]: JsonValue };
  }

  stats(): RuleStats {
    return { matched: this.#matched, dropped: this.#dropped, errors: this.#errors };
  }

  #failed(key: string, error: unknown): void {
    this.#errors++;
    if (this.#logged.has(key)) return;
    if (this.#logged.size >= MAX_LOGGED_KEYS_PER_RULE) {
      if (!this.#saturated) {
        this.#saturated = true;
        this.#logger.warn({ rule: this.name, loggedKeys: MAX_LOGGED_KEYS_PER_RULE }, 'expression failed for many objects: further failures are counted, not logged');
      }
      return;
    }
    this.#logged.add(key);
    this.#logger.warn({ rule: this.name, key, ...describeError(error, this.source) }, 'expression failed on an object: counted as not matching (filter-error)');
  }
}

/** The kind of a value, never the value itself. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return value instanceof Map || Object.getPrototypeOf(value) === Object.prototype ? 'a map' : 'an object';
  return `a ${typeof value}`;
}

/**
 * What a log line may say about a failure: the library's error code, the position in the expression and its
 * summary with quoted text masked (a conversion error quotes the value it could not convert).
 */
function describeError(error: unknown, source: string): Record<string, unknown> {
  const e = error as { code?: unknown; summary?: unknown; message?: unknown; range?: { start?: unknown } } | undefined;
  const text = typeof e?.summary === 'string' ? e.summary : typeof e?.message === 'string' ? (e.message.split('\n')[0] ?? '') : String(error);
  const out: Record<string, unknown> = { error: text.replace(/'[^']*'|"[^"]*"/g, '"…"') };
  if (typeof e?.code === 'string') out['code'] = e.code;
  const start = e?.range?.start;
  if (typeof start === 'number') {
    const before = source.slice(0, start);
    const line = before.split('\n').length;
    out['at'] = `${line}:${start - before.lastIndexOf('\n')}`;
  }
  return out;
}
