import { Optional } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import { WatchProxyError, brandError } from '../errors.js';

/** A JSON value as JavaScript holds it: what a transform's result becomes. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A CEL value that has no JSON form (`WP_ERR_EXPRESSION_NOT_JSON`: NaN, an integer beyond 2^53, a type); its message
 * says which and where. A transform that gives one counts the object as a `filter-error`.
 */
export class NotJsonError extends WatchProxyError {
  /** Keys and indexes from the top of the value to the part that has no JSON form. */
  readonly path: readonly (string | number)[];

  constructor(problem: string, path: readonly (string | number)[] = []) {
    super('WP_ERR_EXPRESSION_NOT_JSON', path.length === 0 ? problem : `at ${formatPath(path)}: ${problem}`);
    this.path = path;
  }

  /** The same problem, one level further from the top. */
  under(segment: string | number): NotJsonError {
    return new NotJsonError(this.message.replace(/^at [^:]*: /, ''), [segment, ...this.path]);
  }

  static {
    brandError(this, 'NotJsonError');
  }
}

/** Deeper than any object the pipeline lets through (`MAX_OBJECT_DEPTH`), so only a runaway value reaches it. */
const MAX_DEPTH = 1100;

/**
 * Converts a CEL value into plain JSON data, the way protobuf maps CEL values to JSON: `int`/`uint` (BigInt) ->
 * number (an error beyond ±2^53, where a number would silently change), `double` -> number (NaN and infinities are
 * errors), `bytes` -> base64 string, `timestamp` -> RFC 3339 string, `duration` -> seconds with an `s` suffix
 * (`"90s"`, `"1.5s"`), an optional -> its value or `null`, map keys -> strings. Parts of the input object are
 * deep-frozen plain JSON already and are returned as they are, not copied. Throws `NotJsonError`.
 */
export function toJson(value: unknown): JsonValue {
  return convert(value, 0);
}

function convert(value: unknown, depth: number): JsonValue {
  if (typeof value !== 'object') return scalar(value);
  if (value === null) return null;
  if (depth > MAX_DEPTH) throw new NotJsonError(`nested more than ${MAX_DEPTH} levels`);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    // The input object and its parts (deep-frozen by the delta engine) hold JSON types only.
    if (Object.isFrozen(value)) return value as JsonValue;
    const out: Record<string, JsonValue> = {};
    const record = value as Record<string, unknown>;
    for (const key in record) {
      try {
        out[key] = convert(record[key], depth + 1);
      } catch (error) {
        throw error instanceof NotJsonError ? error.under(key) : error;
      }
    }
    return out;
  }
  if (proto === Array.prototype) {
    if (Object.isFrozen(value)) return value as JsonValue;
    return list(value as readonly unknown[], depth);
  }
  if (value instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of value as Map<unknown, unknown>) {
      const name = mapKey(key);
      try {
        out[name] = convert(item, depth + 1);
      } catch (error) {
        throw error instanceof NotJsonError ? error.under(name) : error;
      }
    }
    return out;
  }
  if (value instanceof Optional) return value.hasValue() ? convert(value.value(), depth) : null;
  if (value instanceof UnsignedInt) return integer(value.value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new NotJsonError('an invalid timestamp has no JSON form');
    return value.toISOString();
  }
  if (value instanceof Duration) return durationText(value);
  if (value instanceof Set) return list([...(value as Set<unknown>)], depth);
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  throw new NotJsonError(`a ${typeof name === 'string' ? name : 'value'} has no JSON form`);
}

function list(items: readonly unknown[], depth: number): JsonValue[] {
  const out = new Array<JsonValue>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = convert(items[i], depth + 1);
    } catch (error) {
      throw error instanceof NotJsonError ? error.under(i) : error;
    }
  }
  return out;
}

function scalar(value: unknown): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(`${String(value)} has no JSON form`);
      return value;
    case 'bigint':
      return integer(value);
    default:
      throw new NotJsonError(`a ${typeof value} has no JSON form`);
  }
}

function integer(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new NotJsonError(`the integer ${value} is beyond ±2^53 and would change as a JSON number`);
  return n;
}

function mapKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint' || typeof key === 'boolean' || typeof key === 'number') return String(key);
  if (key instanceof UnsignedInt) return String(key.value);
  throw new NotJsonError('a map key must be a string, int or bool');
}

/** Protobuf's JSON form of a duration: seconds, with up to 9 fractional digits, and `s`. */
function durationText(value: Duration): string {
  const seconds = value.seconds;
  const nanos = value.nanos;
  const negative = seconds < 0n || nanos < 0;
  const whole = (seconds < 0n ? -seconds : seconds).toString();
  const fraction = Math.abs(nanos);
  const digits = fraction === 0 ? '' : `.${String(fraction).padStart(9, '0').replace(/0+$/, '')}`;
  return `${negative ? '-' : ''}${whole}${digits}s`;
}

function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  return text;
}
