/**
 * Which configured rule kept an object from an endpoint: the pipeline reports `filtered` or `filter-error`, the
 * preview names the key (`resources.0.filter`, `remoteEndpoints.1.transform`) by evaluating the rules in the
 * pipeline's order on the object as the pipeline saw it (after pruning and redaction).
 */
import type { KubeObject } from '@watch-proxy/core';
import { compileExpression, expressionVariables } from '@watch-proxy/core/expression';
import type { CompiledExpression, ExpressionKind } from '@watch-proxy/core/expression';

import { resourcePlural } from '../config/check-config.js';
import type { WatchProxyConfig } from '../config/index.js';

/** The rule that dropped an object, and what it gave: `false`, or the evaluation error (values masked). */
export interface DropCause {
  /** The config key of the rule: `resources.0.filter`, `remoteEndpoints.1.filter`, `remoteEndpoints.1.transform`. */
  readonly rule: string;
  readonly result: string;
}

interface Rule {
  readonly path: string;
  readonly expression: CompiledExpression;
}

/** What one evaluation gave: true, false, or an error message with quoted values masked (a Secret's data). */
function evaluate(rule: Rule, variables: Readonly<Record<string, unknown>>): true | string {
  try {
    const value = rule.expression.run(variables);
    if (rule.expression.kind === 'transform') return value instanceof Map || (typeof value === 'object' && value !== null && !Array.isArray(value)) ? true : 'error: not a map';
    return value === true ? true : value === false ? 'false' : 'error: not a bool';
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return `error: ${message.replace(/'[^']*'|"[^"]*"/g, '"…"')}`;
  }
}

/** Explains drops of one config's rules. */
export class DropExplainer {
  readonly #resources = new Map<string, Rule>();
  readonly #endpoints = new Map<string, { filter?: Rule; transform?: Rule }>();

  constructor(config: WatchProxyConfig) {
    const compile = (source: string, kind: ExpressionKind, scope: 'resource' | 'endpoint', path: string): Rule => ({
      path,
      expression: compileExpression(source, kind, expressionVariables(kind, scope)),
    });
    config.resources.forEach((r, i) => {
      if (r.filter !== undefined) this.#resources.set(r.name, compile(r.filter, 'filter', 'resource', `resources.${String(i)}.filter`));
    });
    config.remoteEndpoints.forEach((e, i) => {
      this.#endpoints.set(e.name, {
        ...(e.filter === undefined ? {} : { filter: compile(e.filter, 'filter', 'endpoint', `remoteEndpoints.${String(i)}.filter`) }),
        ...(e.transform === undefined ? {} : { transform: compile(e.transform, 'transform', 'endpoint', `remoteEndpoints.${String(i)}.transform`) }),
      });
    });
  }

  /**
   * The rule that kept `object` (of the configured `resource`) from `endpoint`, in the pipeline's order: the
   * resource's filter, the endpoint's filter, its transform. Undefined when every rule lets it through.
   */
  explain(resource: string, endpoint: string, object: KubeObject): DropCause | undefined {
    const own = this.#resources.get(resource);
    const ownResult = own === undefined ? true : evaluate(own, { object });
    if (own !== undefined && ownResult !== true) return { rule: own.path, result: ownResult };
    const rules = this.#endpoints.get(endpoint);
    const variables = { object, resource: resourcePlural(resource) };
    for (const rule of [rules?.filter, rules?.transform]) {
      if (rule === undefined) continue;
      const result = evaluate(rule, variables);
      if (result !== true) return { rule: rule.path, result };
    }
    return undefined;
  }
}
