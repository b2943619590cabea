import { Environment } from '@marcbachmann/cel-js';
import { PARSER_LIMITS } from './expression-limits.js';

/** A variable an expression may use: the object, the state last delivered to the endpoint, the resource's name. */
export type ExpressionVariable = 'object' | 'oldObject' | 'resource';

const TYPES: Readonly<Record<ExpressionVariable, string>> = { object: 'map', oldObject: 'map', resource: 'string' };

// Building an environment registers every built-in function: done once per set of variables, not per expression.
const environments = new Map<string, Environment>();

/**
 * The CEL environment declaring exactly `variables` (any other name is a compile error that says so). Mixed map
 * and list literals are allowed (a projection mixes strings and numbers: `{"name": ..., "replicas": ...}`), and
 * optional chaining (`object.?status.?phase.orValue("")`) is on.
 */
export function celEnvironment(variables: readonly ExpressionVariable[]): Environment {
  const id = [...variables].sort().join(',');
  let env = environments.get(id);
  if (env === undefined) {
    env = new Environment({
      homogeneousAggregateLiterals: false,
      enableOptionalTypes: true,
      limits: PARSER_LIMITS,
    });
    for (const name of variables) env.registerVariable(name, TYPES[name]);
    environments.set(id, env);
  }
  return env;
}
