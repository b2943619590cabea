// @watch-proxy/core/expression: the CEL rules of `ResourceOptions.filter` and `SinkOptions.filter`/`updateFilter`/
// `transform`, compiled as `WatchProxy` compiles them, so a config tool can check them (with positions) before it
// builds a pipeline, and the counters each rule keeps (`WatchProxy.stats().rules`).
export { ExpressionError, compileExpression, expressionVariables } from './compile-expression.js';
export type { CompiledExpression, ExpressionKind, ExpressionScope } from './compile-expression.js';
export type { ExpressionVariable } from './cel-environment.js';
export { MAX_EXPRESSION_LENGTH } from './expression-limits.js';
export type { RuleStats } from './expression-rule.js';
