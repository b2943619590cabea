/**
 * Plain-English messages for zod issues, in the operator's vocabulary (YAML "mapping" and "list", not JS
 * "object" and "array"). Passed to `safeParse` as its error map, so messages set on a schema still win.
 */
import type { z } from 'zod';

import { didYouMean } from './did-you-mean.js';

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** Describes a YAML value by kind (numbers and booleans verbatim): strings may hold things not to echo into logs. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${String(value)}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** The message for one raw zod issue, or `undefined` to keep zod's own. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${String(min)} characters long`;
      if (issue.origin === 'array') return `must have at least ${String(min)} item${min === 1 ? '' : 's'}`;
      return issue.inclusive === false ? `must be greater than ${String(min)}` : `must be at least ${String(min)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${String(max)} characters long`;
      if (issue.origin === 'array') return `must have at most ${String(max)} items`;
      return issue.inclusive === false ? `must be less than ${String(max)}` : `must be at most ${String(max)}`;
    }
    case 'invalid_value': {
      const values = issue.values;
      const expected = values.length === 1 ? `must be ${quoteList(values)}` : `must be one of ${quoteList(values)}`;
      if (typeof issue.input === 'string') {
        const suggestion = didYouMean(
          issue.input,
          values.filter((v): v is string => typeof v === 'string'),
        );
        const got = `got ${JSON.stringify(issue.input)}`;
        return suggestion === undefined ? `${expected}, ${got}` : `${expected}, ${got} (did you mean ${JSON.stringify(suggestion)}?)`;
      }
      return `${expected}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_format':
      return issue.format === 'url' ? 'must be an absolute http:// or https:// URL' : `is not a valid ${issue.format}`;
    default:
      return undefined;
  }
}
