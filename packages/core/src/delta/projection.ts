// The delta engine's single pass over an object (issue 7): copying, dropping kind/apiVersion, redacting,
// pruning, injecting metadata.uniqueId, sorting keys and freezing used to be six walks (clone, then in-place
// edits, then deepFreeze, then the canonical encoder's own sort). Here one copy does all of it, so the
// fingerprint's text can come from the native JSON.stringify (see encodeKeySortedJson).
import { sortByCodeUnit } from '../payload/canonical-json.js';
import type { ResourceRef } from '../types.js';
import type { PrunePath } from './prune.js';
import { LAST_APPLIED_ANNOTATION, REDACTED, type RedactionOptions } from './redact.js';

/**
 * What the copy does under one key (or with every element of an array), compiled once per resource from its
 * redaction options and prune paths. Precedence where several apply: drop, then redact, then descend.
 */
interface Rule {
  /** Leave the key out (a prune path ends here, managedFields, kind/apiVersion). */
  drop: boolean;
  /** Replace the value by {@link REDACTED} (the last-applied annotation). */
  redact: boolean;
  /** When the value is a map, replace each of its values by {@link REDACTED} (Secret data/stringData). */
  redactValues: boolean;
  /** When the value is a map, set its `uniqueId` key (metadata). */
  injectUniqueId: boolean;
  /** Rules of a map's keys. */
  readonly keys: Map<string, Rule>;
  /** The rule of every element when the value is an array (a `[*]` prune step). */
  each: Rule | undefined;
}

/** The compiled form of a resource's projection settings; build with {@link compileProjection}. */
export interface Projection {
  readonly root: Rule;
}

/** The frozen copy and whether its key order is the canonical one (see {@link project}). */
export interface Projected {
  readonly object: Record<string, unknown>;
  /**
   * True when every map's keys were inserted in sorted order and V8 keeps that order (no integer-like key)
   * and the data holds nothing but JSON values: `encodeKeySortedJson` may then serialize it.
   */
  readonly keySorted: boolean;
}

function rule(): Rule {
  return { drop: false, redact: false, redactValues: false, injectUniqueId: false, keys: new Map(), each: undefined };
}

function child(parent: Rule, key: string): Rule {
  let found = parent.keys.get(key);
  if (found === undefined) {
    found = rule();
    parent.keys.set(key, found);
  }
  return found;
}

/**
 * Compiles what the delta engine does to every object of one resource, in the order it always did it: drop
 * `kind` and `apiVersion`, redact, prune every path, inject `metadata.uniqueId`. The same steps done one by one,
 * in place, are the reference its tests compare with (test/delta/reference-steps.ts).
 * A later step cannot undo an earlier one's drop, and a prune path that runs into a redacted value is a no-op,
 * which is what the rule precedence encodes.
 */
export function compileProjection(
  ref: ResourceRef,
  options: RedactionOptions,
  prunePaths: readonly PrunePath[],
): Projection {
  const root = rule();
  child(root, 'kind').drop = true;
  child(root, 'apiVersion').drop = true;
  const metadata = child(root, 'metadata');
  metadata.injectUniqueId = true;
  if (!options.includeManagedFields) child(metadata, 'managedFields').drop = true;
  if (!options.includeSecretData) {
    child(child(metadata, 'annotations'), LAST_APPLIED_ANNOTATION).redact = true;
    if (ref.group === '' && ref.resource === 'secrets') {
      child(root, 'data').redactValues = true;
      child(root, 'stringData').redactValues = true;
    }
  }
  for (const path of prunePaths) {
    let at = root;
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      if ('each' in step) {
        at.each ??= rule();
        at = at.each;
      } else {
        at = child(at, step.key);
      }
    }
    at.drop = true;
  }
  return { root };
}

/**
 * The deepest nesting of maps and arrays an object may have to be delivered (the root map is level 1). The
 * apiserver stores objects up to about 10,000 levels (a CRD with `x-kubernetes-preserve-unknown-fields`), but
 * every encoder downstream recurses, `JSON.stringify` included (in sinks too), and overflows the stack a few
 * thousand levels down; 1,000 leaves them a wide margin and is far beyond any real Kubernetes object (tens).
 */
export const MAX_OBJECT_DEPTH = 1000;

/** Thrown by {@link project} for an object nested deeper than {@link MAX_OBJECT_DEPTH}; nothing was copied. */
export class ObjectTooDeepError extends Error {
  constructor() {
    super(`object nested deeper than ${String(MAX_OBJECT_DEPTH)} levels`);
    this.name = 'ObjectTooDeepError';
  }
}

// State of the copy in progress (one at a time: the copy never yields).
let keySorted = true;
let uniqueIdValue = '';

// V8 enumerates array-index keys ("0" .. "4294967294") first, whatever the insertion order.
function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 0x30 || first > 0x39) return false;
  return /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;
}

// Sorts in place (see sortByCodeUnit), noting integer-like keys, which V8 would enumerate first.
function sortKeys(keys: string[]): string[] {
  if (keySorted) {
    for (let i = 0; i < keys.length; i++) {
      if (isIndexKey(keys[i]!)) {
        keySorted = false;
        break;
      }
    }
  }
  return sortByCodeUnit(keys);
}

function copyScalar(value: unknown): unknown {
  // JSON.stringify would call a function named toJSON, throws on bigint: leave those to the careful encoder.
  if (typeof value === 'function' || typeof value === 'bigint' || typeof value === 'symbol') keySorted = false;
  return value;
}

// `__proto__` is a legal key (a ConfigMap may have it in `data`) and JSON.parse makes it an own property, but
// assigning it would set the copy's prototype instead and the key would vanish from what the receiver gets.
function defineOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

// `depth` is the level of `value` if it is a map or an array: checked there, not per scalar, so the bound costs
// one comparison per container.
function copyPlain(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return copyScalar(value);
  if (depth > MAX_OBJECT_DEPTH) throw new ObjectTooDeepError();
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = copyPlain(value[i] as unknown, depth + 1);
    return Object.freeze(out);
  }
  const source = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(source));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__') defineOwn(out, key, copyPlain(source[key], depth + 1));
    else out[key] = copyPlain(source[key], depth + 1);
  }
  return Object.freeze(out);
}

function copyWithRule(value: unknown, at: Rule, depth: number): unknown {
  if (value === null || typeof value !== 'object') return copyScalar(value);
  if (depth > MAX_OBJECT_DEPTH) throw new ObjectTooDeepError();
  if (Array.isArray(value)) {
    const each = at.each;
    if (each === undefined) return copyPlain(value, depth);
    const length = value.length;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = copyWithRule(value[i] as unknown, each, depth + 1);
    return Object.freeze(out);
  }
  const source = value as Record<string, unknown>;
  const names = Object.keys(source);
  if (at.injectUniqueId && !Object.hasOwn(source, 'uniqueId')) names.push('uniqueId');
  const keys = sortKeys(names);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (at.injectUniqueId && key === 'uniqueId') {
      out[key] = uniqueIdValue;
      continue;
    }
    const next = at.keys.get(key);
    if (next?.drop === true) continue;
    const copy =
      at.redactValues || next?.redact === true
        ? REDACTED
        : next === undefined
          ? copyPlain(source[key], depth + 1)
          : copyWithRule(source[key], next, depth + 1);
    if (key === '__proto__') defineOwn(out, key, copy);
    else out[key] = copy;
  }
  return Object.freeze(out);
}

/**
 * Copies a watched object as the delta engine sends it: projected (see {@link compileProjection}),
 * `metadata.uniqueId` set to `uniqueId` when `metadata` is a map that survived pruning, every map's keys in
 * sorted order where V8 allows it, and deep-frozen. The source is not touched. Throws only
 * {@link ObjectTooDeepError}, for an object whose kept part nests deeper than {@link MAX_OBJECT_DEPTH}.
 */
export function project(source: Readonly<Record<string, unknown>>, projection: Projection, uniqueId: string): Projected {
  keySorted = true;
  uniqueIdValue = uniqueId;
  const object = copyWithRule(source, projection.root, 1) as Record<string, unknown>;
  return { object, keySorted };
}
