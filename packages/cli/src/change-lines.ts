/**
 * The human form of the stdout output (`--output text`, the default on a terminal): one line per change with its
 * event, resource and namespace/name, and for an update the fields that changed since the state printed before.
 */
import type { Change, KubeObject } from '@watch-proxy/core';

/** `--output` values: `json` (the original payload, one batch per line) or `text` (one line per change). */
export type OutputFormat = 'json' | 'text';

/** Every accepted `--output`. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'text'];

/** Most field paths listed on one update line; the rest are counted (`+3 more`). */
export const MAX_LISTED_FIELDS = 8;

/** Width the resource column is padded to, so names line up for the usual resource names. */
const RESOURCE_COLUMN = 12;

/**
 * Metadata the apiserver rewrites on every write: listing it would make every update look the same. A change
 * of anything else (labels, spec, data, status) is listed.
 */
const BOOKKEEPING: ReadonlySet<string> = new Set(['metadata.resourceVersion', 'metadata.managedFields', 'metadata.generation']);

/** Why a synthesized delete happened, worded for the line's tail. */
const SYNTHESIZED: Readonly<Record<NonNullable<Change['synthesized']>, string>> = {
  relist: '(gone at a relist)',
  restart: '(gone since the last run)',
  recreated: '(re-created with a new uid)',
  unmatched: '(no longer matches the filter)',
};

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathOf(parent: string, key: string): string {
  const step = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return step;
  return step.startsWith('"') ? `${parent}[${step}]` : `${parent}.${step}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The paths of the fields that differ between two states of an object, in document order: maps are compared key
 * by key, anything else (scalars, arrays) as a whole, so a changed list shows as one path (`spec.ports`). The
 * apiserver's bookkeeping fields (`metadata.resourceVersion`, `managedFields`, `generation`) are left out.
 */
export function changedFields(before: KubeObject, after: KubeObject): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (BOOKKEEPING.has(path)) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = [...Object.keys(b), ...Object.keys(a).filter((key) => !Object.hasOwn(b, key))];
      for (const key of keys) walk(a[key], b[key], pathOf(path, key));
    } else if (!sameValue(a, b)) {
      out.push(path);
    }
  };
  walk(before, after, '');
  return out;
}

function clock(epochMs: number): string {
  const at = new Date(epochMs);
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * One change as a line (no newline): `HH:MM:SS  update  configmaps    demo/settings  data.color`. `previous` is the
 * state printed last for the same object; for an update without one (first seen since the process started) the
 * tail says so instead of listing fields.
 */
export function formatChangeLine(change: Change, previous: KubeObject | undefined): string {
  const name = change.namespace === '' ? change.name : `${change.namespace}/${change.name}`;
  let tail = '';
  if (change.synthesized !== undefined) {
    tail = SYNTHESIZED[change.synthesized];
  } else if (change.event === 'update') {
    if (previous === undefined) {
      tail = '(earlier state not seen)';
    } else {
      const fields = changedFields(previous, change.object);
      const listed = fields.slice(0, MAX_LISTED_FIELDS).join(', ');
      const more = fields.length > MAX_LISTED_FIELDS ? `, +${String(fields.length - MAX_LISTED_FIELDS)} more` : '';
      tail = fields.length === 0 ? '(no field changed)' : `${listed}${more}`;
    }
  }
  const columns = [clock(change.observedAt), change.event.padEnd(6), change.resource.padEnd(RESOURCE_COLUMN), name];
  if (tail !== '') columns.push(tail);
  return columns.join('  ').trimEnd();
}

/** Turns changes into text lines, remembering the state printed last per object to name an update's fields. */
export interface ChangePrinter {
  /** The lines for `items`, in order, each ending in a newline. Updates the remembered states. */
  lines(items: readonly Change[]): string;
}

/**
 * Creates a {@link ChangePrinter}. It holds the last printed state of every object still present (memory grows
 * with the watched set, as a person watching a terminal does with a small one); share one across pipeline reloads
 * so an update after a reload still lists its fields.
 */
export function createChangePrinter(): ChangePrinter {
  const printed = new Map<string, KubeObject>();
  return {
    lines(items: readonly Change[]): string {
      let text = '';
      for (const change of items) {
        text += `${formatChangeLine(change, printed.get(change.key))}\n`;
        if (change.event === 'delete') printed.delete(change.key);
        else printed.set(change.key, change.object);
      }
      return text;
    },
  };
}
