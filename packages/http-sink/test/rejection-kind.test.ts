import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../src/classify.js';

function classify(status: number, successStatusCodes?: ReadonlySet<number>): unknown {
  const outcome = classifyResponse({ status, retryAfter: null, body: '' }, successStatusCodes, 'http://receiver/');
  return outcome.status === 'rejected' ? { kind: outcome.kind, code: outcome.code } : outcome.status;
}

describe('classifyResponse: what core does with a refusal', () => {
  it('says a 413 is about size, so core splits the batch until it fits', () => {
    expect(classify(413)).toEqual({ kind: 'too-large', code: 413 });
  });

  it.each([301, 302, 303, 307, 308, 401, 403, 404, 405, 407, 410, 421])('says %i is about the endpoint: no bisection', (status) => {
    expect(classify(status)).toEqual({ kind: 'endpoint', code: status });
  });

  it('says a 2xx outside successStatusCodes is about the endpoint', () => {
    expect(classify(202, new Set([200]))).toEqual({ kind: 'endpoint', code: 202 });
  });

  it.each([400, 409, 415, 422, 451])('says %i is about the content: core bisects to find the objects refused', (status) => {
    expect(classify(status)).toEqual({ kind: 'content', code: status });
  });

  it('keeps 408, 429 and 5xx retryable', () => {
    for (const status of [408, 429, 500, 503]) expect(classify(status)).toBe('retryable');
  });
});
