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
 * for "did you mean" hints. Empty when the path leads nowhere known.
 */
export function knownKeysAt(path: readonly (string | number)[]): readonly string[] {
  let nodes: JsonSchema[] = [configJsonSchema()];
  for (const segment of path) {
    const next: JsonSchema[] = [];
    for (const node of nodes.flatMap(alternatives)) {
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
  }
  return [...new Set(nodes.flatMap(alternatives).flatMap((n) => (isSchema(n['properties']) ? Object.keys(n['properties']) : [])))];
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function alternatives(node: JsonSchema): JsonSchema[] {
  const options = [node['anyOf'], node['oneOf'], node['allOf']].flatMap((list) => (Array.isArray(list) ? list.filter(isSchema) : []));
  return [node, ...options.flatMap(alternatives)];
}
