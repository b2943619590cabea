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
