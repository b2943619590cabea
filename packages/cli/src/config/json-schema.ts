/**
 * The JSON Schema of the config file, generated from the zod schema so editors (yaml-language-server) complete
 * and check exactly what the loader accepts. The committed copy is `packages/cli/schema/watch-proxy.schema.json`.
 */
import { z } from 'zod';

import { configFileSchema } from './schema.js';

/** A JSON Schema document (draft-07). */
export type JsonSchema = Readonly<Record<string, unknown>>;

let cached: JsonSchema | undefined;

/**
 * The config file's JSON Schema, input side (keys with defaults are optional), draft-07 because that is what
 * editors support best. Computed once.
 */
export function configJsonSchema(): JsonSchema {
  cached ??= {
    $comment: 'Generated from packages/cli/src/config/schema.ts by `pnpm --filter watch-proxy gen:schema`; do not edit.',
    ...z.toJSONSchema(configFileSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' }),
    // The loader ignores top-level `x-...` keys (anchors for merges); zod cannot say so, the schema must.
    patternProperties: { '^x-': { description: 'Free for your own use, e.g. YAML anchors to merge with <<; ignored.' } },
  };
  return cached;
}

/** The committed file's exact text: the schema, two-space indented, with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/**
 * The keys the schema allows in the mapping at `path` (list indexes included, e.g. `['remoteEndpoints', 0]`),
 * for "did you mean" hints. With `data` (the file's parsed content), alternatives that do not fit the value at
 * each step are left out: an endpoint of `type: kafka` gets the kafka keys, not http's. Empty when the path leads
 * nowhere known.
 */
export function knownKeysAt(path: readonly (string | number)[], data?: unknown): readonly string[] {
  let nodes: JsonSchema[] = [configJsonSchema()];
  let value = data;
  for (const segment of path) {
    const next: JsonSchema[] = [];
    for (const node of nodes.flatMap((n) => alternatives(n, value))) {
      if (typeof segment === 'number') {
        const items = node['items'];
        if (isSchema(items)) next.push(items);
      } else {
        const props = node['properties'];
        const child = isSchema(props) ? props[segment] : undefined;
        if (isSchema(child)) next.push(child);
      }
    }
    nodes = next;
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  return [...new Set(nodes.flatMap((n) => alternatives(n, value)).flatMap((n) => (isSchema(n['properties']) ? Object.keys(n['properties']) : [])))];
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `node` can describe `value` by its `type` key (an endpoint's kind); true when either says nothing. */
function fitsType(node: JsonSchema, value: unknown): boolean {
  const props = node['properties'];
  const declared = isSchema(props) ? props['type'] : undefined;
  if (!isSchema(declared) || typeof value !== 'object' || value === null || Array.isArray(value)) return true;
  const type = (value as { type?: unknown }).type;
  if (type === undefined) return declared['default'] !== undefined;
  if ('const' in declared) return declared['const'] === type;
  return Array.isArray(declared['enum']) ? declared['enum'].includes(type) : true;
}

function alternatives(node: JsonSchema, value?: unknown): JsonSchema[] {
  const options = [node['anyOf'], node['oneOf'], node['allOf']].flatMap((list) => (Array.isArray(list) ? list.filter(isSchema) : []));
  const fitting = options.filter((option) => fitsType(option, value));
  // An unknown type fits no alternative: offer them all rather than nothing.
  return [node, ...(fitting.length > 0 ? fitting : options).flatMap((option) => alternatives(option, value))];
}
