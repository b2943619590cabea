import type { ExpressionVariable } from './cel-environment.js';

/**
 * What a fast path returns for a case it does not decide (a missing key, a value of another type, anything that
 * could be an error): the library then evaluates the whole expression and gives its own answer, error included.
 */
export const UNDECIDED: unique symbol = Symbol('undecided');

/** The variables one evaluation sees. */
export type Variables = Readonly<Partial<Record<ExpressionVariable, unknown>>>;

/**
 * One node's evaluation in a fast path (fast-path.ts): its value or `UNDECIDED`. A step of an optional node
 * (`.?`) gives `undefined` for an empty optional.
 */
export type Step = (variables: Variables) => unknown;

/**
 * `&&` and `||`, only where the library does not absorb an error: the left side decides, or both are bools.
 */
export function logicalStep(op: string, left: Step, right: Step): Step {
  const decides = op === '||';
  return (vars) => {
    const l = left(vars);
    if (l === decides) return decides;
    if (l !== !decides) return UNDECIDED;
    const r = right(vars);
    return typeof r === 'boolean' ? r : UNDECIDED;
  };
}

/** `!` on a bool. */
export function notStep(operand: Step): Step {
  return (vars) => {
    const v = operand(vars);
    return typeof v === 'boolean' ? !v : UNDECIDED;
  };
}

/** `c ? a : b` on a bool condition. */
export function conditionalStep(condition: Step, then: Step, otherwise: Step): Step {
  return (vars) => {
    const c = condition(vars);
    if (c === true) return then(vars);
    if (c === false) return otherwise(vars);
    return UNDECIDED;
  };
}

/**
 * `==` and `!=`: strings with strings, bools with bools, numbers (CEL double: a JSON number) and ints (bigint)
 * with each other, where the library's overloads are `===` and, between an int and a double, `==`. Lists, maps,
 * nulls, uints and mixed types are the library's.
 */
export function equalityStep(op: string, left: Step, right: Step): Step {
  const equal = op === '==';
  return (vars) => {
    const l = left(vars);
    const r = right(vars);
    const lt = typeof l;
    const rt = typeof r;
    if (lt === rt ? lt === 'string' || lt === 'boolean' || lt === 'number' || lt === 'bigint' : isNumeric(lt) && isNumeric(rt)) {
      return (lt === rt ? l === r : l == r) === equal;
    }
    return UNDECIDED;
  };
}

const ORDERINGS: Readonly<Record<string, (l: string | number | bigint, r: string | number | bigint) => boolean>> = {
  '<': (l, r) => l < r,
  '<=': (l, r) => l <= r,
  '>': (l, r) => l > r,
  '>=': (l, r) => l >= r,
};

/**
 * `<`, `<=`, `>`, `>=`: numbers and ints in any mix, strings with strings, where the library's overloads are
 * JavaScript's own operators. Undefined for another operator.
 */
export function orderingStep(op: string, left: Step, right: Step): Step | undefined {
  const compare = Object.hasOwn(ORDERINGS, op) ? ORDERINGS[op] : undefined;
  if (compare === undefined) return undefined;
  return (vars) => {
    const l = left(vars);
    const r = right(vars);
    if (typeof l === 'string' ? typeof r === 'string' : isNumeric(typeof l) && isNumeric(typeof r)) {
      return compare(l as string | number | bigint, r as string | number | bigint);
    }
    return UNDECIDED;
  };
}

/** `"key" in map`: the key is present with a value. */
export function membershipStep(key: Step, map: Step): Step {
  return (vars) => {
    const k = key(vars);
    const m = map(vars);
    if (typeof k !== 'string' || !isRecord(m)) return UNDECIDED;
    return Object.hasOwn(m, k) ? m[k] !== undefined : false;
  };
}

const STRING_METHODS: Readonly<Record<string, (receiver: string, argument: string) => boolean>> = {
  startsWith: (receiver, argument) => receiver.startsWith(argument),
  endsWith: (receiver, argument) => receiver.endsWith(argument),
  contains: (receiver, argument) => receiver.includes(argument),
};

/** `startsWith`, `endsWith`, `contains` of a string on a string. Undefined for another method. */
export function stringMethodStep(name: string, receiver: Step, argument: Step): Step | undefined {
  const test = Object.hasOwn(STRING_METHODS, name) ? STRING_METHODS[name] : undefined;
  if (test === undefined) return undefined;
  return (vars) => {
    const r = receiver(vars);
    const a = argument(vars);
    return typeof r === 'string' && typeof a === 'string' ? test(r, a) : UNDECIDED;
  };
}

function isNumeric(type: string): boolean {
  return type === 'number' || type === 'bigint';
}

/** `parent.key` where the library cannot fail: a plain object holding a JSON value under `key`; else undefined. */
export function field(parent: unknown, key: string): unknown {
  if (!isRecord(parent)) return undefined;
  const v = Object.hasOwn(parent, key) ? parent[key] : undefined;
  return v !== undefined && isJsonValue(v) ? v : undefined;
}

/**
 * A plain object as the library tells a map: it switches on `constructor`, so an object with its own
 * `constructor` key is not one to it (nor here).
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && value.constructor === Object;
}

/** A value JSON data holds: string, number, bool, null, plain object, array. */
export function isJsonValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      return value === null || value.constructor === Object || value.constructor === Array;
    default:
      return false;
  }
}
