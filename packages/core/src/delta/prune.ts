import { InvalidArgumentError } from '../errors.js';

/** One step of a compiled prune path: a map key, or `*` meaning "every element of this array". */
type Step = { readonly key: string } | { readonly each: true };

/** A `pruneFields` entry parsed once, at construction. */
export type PrunePath = readonly Step[];

/**
 * Parses a `pruneFields` entry. Dots separate keys (the original's syntax); `\.` is a literal dot, so
 * `metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration` names one annotation; `[*]` after a
 * key (or as its own segment) applies the rest of the path to every element of an array:
 * `spec.containers[*].image`. Throws `InvalidArgumentError` on an empty path or an empty segment.
 */
export function parsePrunePath(path: string): PrunePath {
  const steps: Step[] = [];
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`pruneFields: "${path}" ${why}`);
  };
  let current = '';
  let afterEach = false; // `[*].` is a valid separator even though no key precedes the dot
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\' && path[i + 1] === '.') {
      current += '.';
      afterEach = false;
      i++;
    } else if (ch === '[' && path.startsWith('[*]', i)) {
      if (current !== '') steps.push({ key: current });
      current = '';
      steps.push({ each: true });
      afterEach = true;
      i += 2;
    } else if (ch === '.') {
      if (current !== '') steps.push({ key: current });
      else if (!afterEach) fail('has an empty segment');
      current = '';
      afterEach = false;
    } else {
      current += ch;
      afterEach = false;
    }
  }
  if (current !== '') steps.push({ key: current });
  const last = steps.at(-1);
  if (last === undefined || 'each' in last || (current === '' && !afterEach && path.endsWith('.'))) {
    fail('must end with a key');
  }
  return steps;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Removes the field at `path` from `target`, in place. Never throws: a path that runs into a scalar, `null`,
 * a missing key, or an array without `[*]` is a no-op (the original crashed on those). The delta engine
 * applies compiled paths while copying (see `compileProjection`); this in-place form is the reference its
 * tests compare against.
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
