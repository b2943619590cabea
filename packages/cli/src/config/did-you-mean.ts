/**
 * "Did you mean" suggestions for misspelt keys and values: the original silently ignored unknown keys, so a typo
 * such as `emitIntervall` used to be invisible; naming the closest known word makes it obvious.
 */

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`emtiInterval`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The candidate closest to `word`, or `undefined` when none is close enough to be a plausible typo.
 * A case-insensitive match always wins (`ClusterName` -> `clusterName`); otherwise the edit distance must be at
 * most a third of the word's length (at least 1, at most 3). Ties go to the earlier candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

/**
 * Whether `word` is so close to the known key `candidate` that it is surely a typo of it, not a different key:
 * the same letters in another case, at most 2 edits apart (`remoteEndpiont`), or its singular or plural
 * (`remoteEndpoint`, the original's pre-multi-endpoint key). The loader makes such a key an error: ignoring it
 * silently drops the setting it was meant to be (no endpoint at all, for `remoteEndpoint:`).
 */
export function isNearMiss(word: string, candidate: string): boolean {
  const a = word.toLowerCase();
  const b = candidate.toLowerCase();
  if (a === b || `${a}s` === b || `${b}s` === a || `${a}es` === b || `${b}es` === a) return true;
  return editDistance(a, b) <= 2;
}
