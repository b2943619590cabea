/**
 * The field builders every part of the config file schema uses (main file and each endpoint type): strings that
 * accept YAML scalars as the original did, YAML 1.1 booleans, whole numbers, env var names and Go durations.
 */
import { MAX_EXPRESSION_LENGTH } from '@watch-proxy/core/expression';
import { z } from 'zod';

import { describeValue } from './issue-message.js';
import { parseGoDuration } from './parse-go-duration.js';

/** Go duration syntax plus `d`, as a JSON Schema pattern so editors flag `30` or `5 min` while typing. */
export const GO_DURATION_PATTERN = '^[+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d))+)$';

const DURATION_HINT = 'expected a Go duration such as "300ms", "1h30m" or "7d"';

/**
 * yaml.v2 put any scalar into a string field as its text (`port: 9595`, `clusterName: 2024`), so numbers and
 * booleans written where the original expected a string keep working.
 */
export function scalarToString(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

// YAML 1.1 booleans, which yaml.v2 accepted in the original's bool fields; YAML 1.2 reads them as strings.
const YAML11_BOOLEANS: ReadonlyMap<string, boolean> = new Map(
  ['y', 'yes', 'true', 'on'].map((w): [string, boolean] => [w, true]).concat(['n', 'no', 'false', 'off'].map((w): [string, boolean] => [w, false])),
);

/** A boolean key; `yes`/`no`/`on`/`off` are still accepted (written the YAML 1.1 way, as the original read them). */
export function flag(description: string, defaultValue: boolean) {
  return z
    .preprocess((value) => {
      if (typeof value !== 'string') return value;
      const word = value.trim();
      // Only the exact spellings YAML 1.1 allowed: lower, Capitalized or UPPER.
      if (word !== word.toLowerCase() && word !== word.toUpperCase() && word !== word[0]?.toUpperCase() + word.slice(1).toLowerCase()) return value;
      return YAML11_BOOLEANS.get(word.toLowerCase()) ?? value;
    }, z.boolean())
    .default(defaultValue)
    .meta({ description });
}

/** A boolean key without a default: unset (`undefined`) lets another key decide (`originalContent`). */
export function optionalFlag(description: string) {
  return flag(description, false).unwrap().optional().meta({ description });
}

/** An integer (zod reports a string here as "expected number", which hides that fractions are wrong too). */
export function wholeNumber() {
  return z.int({
    error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `expected a whole number, got ${describeValue(issue.input)}` : undefined),
  });
}

/** A string key that also accepts a YAML number or boolean as its text, like the original. */
export function text(description: string) {
  return z.preprocess(scalarToString, z.string()).meta({ description });
}

/** A string that must not be empty. */
export function nonEmptyText(description: string) {
  return z
    .preprocess(scalarToString, z.string().min(1))
    .meta({ description });
}

/** A list of non-empty strings. */
export function stringList(description: string, itemDescription: string) {
  return z.array(nonEmptyText(itemDescription)).meta({ description });
}

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable (not its value). */
export function envVarName(description: string) {
  return z
    .string()
    .regex(ENV_VAR_NAME, { error: 'must be an environment variable name (letters, digits and _, not starting with a digit)' })
    .meta({ description });
}

/** How a {@link duration} key is read and bounded. */
export type DurationOptions = {
  /** The value used when the key is absent, in the file's syntax. */
  readonly default: string | number;
  /** Whether a plain number means seconds (only `emitInterval`, an int of seconds in the original). */
  readonly numberIsSeconds?: boolean;
  /** Whether 0 is rejected (a timeout of 0 would fail every request). */
  readonly positive?: boolean;
  /** The largest value that makes sense, and why; default `DEFAULT_MAX_DURATION`. */
  readonly max?: DurationBound;
};

/** An upper bound of a duration key: `ms`, written as `text` in the file's syntax, and why it is there. */
export type DurationBound = { readonly ms: number; readonly text: string; readonly why: string };

/** One hour in milliseconds, for duration bounds. */
export const HOUR_MS = 3_600_000;

/**
 * Every duration key is bounded: a value of years is a typo (`30000h` for `30s`), and a timer in Node cannot
 * hold more than 24.8 days on its own (core chains timers, so correct values past that still work).
 */
const DEFAULT_MAX_DURATION: DurationBound = { ms: 365 * 24 * HOUR_MS, text: '365d', why: 'a longer period is almost certainly a mistake' };

/**
 * A duration key: a Go duration string (`1h30m`, `300ms`, `7d`) or `0`, normalized to milliseconds.
 * Negative durations are rejected: the original treated them as 0 or "never", which nobody meant.
 */
export function duration(description: string, options: DurationOptions) {
  return z
    .union([z.string(), z.number()], { error: `expected a duration string, ${DURATION_HINT}` })
    .transform((value, ctx) => {
      let ms: number;
      if (typeof value === 'number') {
        if (options.numberIsSeconds === true) {
          ms = value * 1000;
        } else if (value === 0) {
          ms = 0;
        } else {
          ctx.addIssue({ code: 'custom', message: `missing unit in duration "${String(value)}"; ${DURATION_HINT}` });
          return z.NEVER;
        }
      } else {
        const parsed = parseGoDuration(value.trim());
        if (!parsed.ok) {
          ctx.addIssue({ code: 'custom', message: `${parsed.message}; ${DURATION_HINT}` });
          return z.NEVER;
        }
        ms = parsed.milliseconds;
      }
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: 'must not be negative' });
        return z.NEVER;
      }
      if (options.positive === true && ms === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
        return z.NEVER;
      }
      const max = options.max ?? DEFAULT_MAX_DURATION;
      if (ms > max.ms) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max.text}: ${max.why}` });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(options.default)
    .meta({ description, pattern: GO_DURATION_PATTERN });
}

/**
 * A CEL expression (a YAML string; a number or boolean is taken as its text, so `filter: true` works). Only its
 * shape is checked here: `check-expressions.ts` compiles it once the file parsed, to point into it.
 */
export function celExpression(description: string) {
  return z
    .preprocess(scalarToString, z.string().min(1).max(MAX_EXPRESSION_LENGTH))
    .optional()
    .meta({ description });
}

/**
 * The routing keys every endpoint type has: which namespaces and resources reach it. Both default to empty,
 * meaning all.
 */
export const endpointRouting = {
  namespaces: stringList(
    'Only objects in these namespaces are sent to this endpoint (exact match; a Namespace object matches its own name). Default: all.',
    'A namespace name.',
  ).default([]),
  resourceTypes: stringList(
    'Only objects of these resources are sent to this endpoint: as named in resources[].name, by plural ("services") or as "plural.group" ("deployments.apps"). Default: all.',
    'A resource name.',
  ).default([]),
  filter: celExpression(
    'A CEL boolean over `object` (as sent: pruned, redacted) and `resource` (the resource\'s plural name) deciding which objects this endpoint holds: one that starts matching is sent as add, one that stops matching as a delete with the state this endpoint last got. An evaluation error counts as not matching. Default: every object. New.',
  ),
  updateFilter: celExpression(
    'A CEL boolean over `object`, `oldObject` (the state last sent to this endpoint) and `resource` deciding whether an update is worth sending, e.g. `object.status.phase != oldObject.status.phase`. Adds and deletes are not subject to it. Default: every update. New.',
  ),
  transform: celExpression(
    'A CEL expression over `object` and `resource` giving a map, sent as each item\'s data instead of the object (integers as JSON numbers). Deduplication works on it: a change outside the projection sends nothing. Default: the object. New.',
  ),
  clusters: z
    .array(z.preprocess(scalarToString, z.string()).meta({ description: 'A clusters[].name.' }))
    .min(1, { error: 'must list at least one cluster (omit the key to receive from every cluster)' })
    .optional()
    .meta({ description: 'With the top-level clusters: only objects of these clusters (by name) are sent to this endpoint. Default: every cluster. New.' }),
};
