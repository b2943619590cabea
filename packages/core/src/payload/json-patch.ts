import { createPatch, type Operation, type Pointer } from 'rfc6902';
import { deepFreeze } from '../internal/deep-freeze.js';
import type { JsonPatchOperation } from '../types.js';

/**
 * Largest array pair (input length times output length) diffed element by element with `rfc6902`'s minimal
 * (Levenshtein) array diff. Its cost is O(n*m) in time and memory and its recursion is n+m deep, so a larger pair
 * is diffed index by index when the lengths are equal (what an edit of one element of a long list looks like) and
 * replaced whole otherwise. 10,000 is a 100 x 100 list, far more than containers, ports or conditions hold.
 */
export const MAX_ARRAY_DIFF_CELLS = 10_000;

/**
 * The RFC 6902 JSON Patch that turns `base` into `next` (both plain JSON data, neither mutated): minimal for
 * objects, minimal for arrays up to {@link MAX_ARRAY_DIFF_CELLS} (longer ones as above), made by `rfc6902`.
 * Operations are `add`, `remove` and `replace` only; array indexes in paths refer to the array as the
 * operations before have left it, as RFC 6902 applies them. The result is deep-frozen (its values may share
 * frozen subtrees of `next`), so its canonical text is memoized like an object's.
 */
export function createJsonPatch(base: unknown, next: unknown): readonly JsonPatchOperation[] {
  return deepFreeze(createPatch(base, next, boundedArrays) as JsonPatchOperation[]);
}

// rfc6902 calls this on every pair of non-primitive values; undefined falls back to its own diff.
function boundedArrays(input: unknown, output: unknown, ptr: Pointer): Operation[] | undefined {
  if (!Array.isArray(input) || !Array.isArray(output)) return undefined;
  if (input.length * output.length <= MAX_ARRAY_DIFF_CELLS) return undefined;
  if (input.length !== output.length) return [{ op: 'replace', path: ptr.toString(), value: output }];
  const operations: Operation[] = [];
  for (let i = 0; i < input.length; i++) {
    const at = ptr.add(String(i));
    for (const operation of createPatch(input[i], output[i], boundedArrays)) {
      operations.push({ ...operation, path: at.toString() + operation.path } as Operation);
    }
  }
  return operations;
}
