import { describe, expect, it } from 'vitest';

import { didYouMean, editDistance } from '../../src/config/did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['emitInterval', 'emitIntervall', 1],
    ['emtiInterval', 'emitInterval', 1],
    ['url', 'uri', 1],
  ] as const)('%j vs %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('didYouMean', () => {
  const keys = ['clusterName', 'emitInterval', 'emitBatchMaxObjects', 'emitBatchMaxBytes', 'resources', 'url'];
  it.each([
    ['emitIntervall', 'emitInterval'],
    ['ClusterName', 'clusterName'],
    ['clustername', 'clusterName'],
    ['emitBatchMaxObject', 'emitBatchMaxObjects'],
    ['resource', 'resources'],
    ['uri', 'url'],
    ['retries', undefined],
    ['x', undefined],
    ['completelyDifferent', undefined],
  ] as const)('%j -> %j', (word, expected) => {
    expect(didYouMean(word, keys)).toBe(expected);
  });
});
