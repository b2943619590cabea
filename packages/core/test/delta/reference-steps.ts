/**
 * The delta engine's steps as they were before its projection did them in one pass (copy, redact, prune), kept
 * only as the reference the projection is tested against (and the benchmarks measure): nothing in src/ uses them.
 */
import type { PrunePath } from '../../src/delta/prune.js';
import { LAST_APPLIED_ANNOTATION, REDACTED } from '../../src/delta/redact.js';
import type { RedactionOptions } from '../../src/delta/redact.js';
import type { ResourceRef } from '../../src/types.js';

/**
 * Deep copy of JSON data (plain objects, arrays, primitives), several times faster than structuredClone for
 * Kubernetes objects. Anything that is not a plain array is copied as a plain object of its own enumerable
 * keys.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = cloneJson(value[i] as unknown);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as Record<string, unknown>)[key]);
    // Assigning `__proto__` would set the prototype and lose the key (JSON.parse makes it an own property).
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out as T;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Redacts `object` in place: what `compileProjection` does while copying. Runs before pruning and fingerprinting. */
export function redact(object: Record<string, unknown>, ref: ResourceRef, options: RedactionOptions): void {
  const metadata = record(object['metadata']);
  if (!options.includeManagedFields && metadata !== undefined) delete metadata['managedFields'];
  if (options.includeSecretData) return;
  const annotations = record(metadata?.['annotations']);
  if (annotations !== undefined && Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) {
    annotations[LAST_APPLIED_ANNOTATION] = REDACTED;
  }
  if (ref.group === '' && ref.resource === 'secrets') {
    for (const field of ['data', 'stringData']) {
      const values = record(object[field]);
      if (values !== undefined) for (const key of Object.keys(values)) values[key] = REDACTED;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Removes the field at `path` from `target`, in place: what `compileProjection` does while copying. Never throws:
 * a path that runs into a scalar, `null`, a missing key, or an array without `[*]` is a no-op (the original
 * crashed on those).
 */
export function prune(target: unknown, path: PrunePath, from = 0): void {
  const step = path[from];
  if (step === undefined) return;
  if ('each' in step) {
    if (Array.isArray(target)) for (const item of target) prune(item, path, from + 1);
    return;
  }
  if (!isRecord(target) || !Object.hasOwn(target, step.key)) return;
  if (from === path.length - 1) {
    delete target[step.key];
    return;
  }
  prune(target[step.key], path, from + 1);
}
