/**
 * The original read its config with yaml.v2, which follows YAML 1.1 and decides a scalar's meaning by the Go
 * field it lands in. This module reproduces what a receiver or an existing file can notice:
 *
 * - free-form values (`metadata`) resolve as YAML 1.1: `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0755` is
 *   octal (493), `0b101` binary, `1_000` is 1000; timestamps and `1:20` stay strings, as yaml.v2 left them;
 * - a key is always its text (`on:` is the key "on", `0755:` the key "0755"), as yaml.v2 decoded keys into
 *   Go strings;
 * - a string field gets its scalar's text whatever it looks like (`assetId: no` is "no", `clusterName: 0755`
 *   is "0755"), as yaml.v2 copied the literal text into a Go string field.
 */
import { isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { Document, DocumentOptions, ParseOptions, SchemaOptions, ScalarTag } from 'yaml';

import { configJsonSchema } from './json-schema.js';
import type { JsonSchema } from './json-schema.js';

/** Go 1.13's `0o17` octal, which yaml.v2 read through `strconv.ParseInt(s, 0, 64)`; not in YAML 1.1 itself. */
const goOctal: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (text) => {
    const sign = text.startsWith('-') ? -1 : 1;
    return sign * Number.parseInt(text.replace(/^[-+]?0o/, '').replaceAll('_', ''), 8);
  },
};

type TagOption = Exclude<SchemaOptions['customTags'], ((tags: never) => unknown) | null | undefined>[number];

/** Whether a YAML 1.1 tag resolves the way yaml.v2 did in untyped values: not timestamps, not `1:20`. */
function keptTag(tag: TagOption): boolean {
  if (typeof tag === 'string') return tag !== 'timestamp' && tag !== 'intTime' && tag !== 'floatTime';
  return tag.tag !== 'tag:yaml.org,2002:timestamp' && !('format' in tag && tag.format === 'TIME');
}

/** The text a key was written as (quotes removed), which is what yaml.v2 compared and used. */
function keyText(key: unknown): unknown {
  return isScalar(key) ? (key.source ?? key.value) : key;
}

/**
 * Parse options for YAML 1.1 as yaml.v2 read it: the 1.1 schema without timestamps and sexagesimal numbers
 * (yaml.v2 kept both as strings in untyped values), plus Go's `0o` octal; merge keys on; keys unique by their
 * text (`y:` and `yes:` are two keys, not two `true`s).
 */
export const YAML_1_1_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  customTags: (tags) => [goOctal, ...tags.filter(keptTag)],
  uniqueKeys: (a, b) => keyText(a) === keyText(b),
};

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function alternatives(node: JsonSchema): JsonSchema[] {
  const options = [node['anyOf'], node['oneOf'], node['allOf']].flatMap((list) => (Array.isArray(list) ? list.filter(isSchema) : []));
  return [node, ...options.flatMap(alternatives)];
}

/** The schema nodes that describe the value under `segment` of a value described by `nodes`. */
function childSchemas(nodes: readonly JsonSchema[], segment: string | number): JsonSchema[] {
  const next: JsonSchema[] = [];
  for (const node of nodes.flatMap(alternatives)) {
    if (typeof segment === 'number') {
      if (isSchema(node['items'])) next.push(node['items']);
      continue;
    }
    const props = node['properties'];
    const own = isSchema(props) ? props[segment] : undefined;
    if (isSchema(own)) next.push(own);
    else if (isSchema(node['additionalProperties'])) next.push(node['additionalProperties']);
  }
  return next;
}

/** Whether the schema takes only a string here (not a number or boolean too, as ports and durations do). */
function onlyString(nodes: readonly JsonSchema[]): boolean {
  const types = nodes.flatMap(alternatives).flatMap((node) => {
    const type = node['type'];
    return Array.isArray(type) ? type : typeof type === 'string' ? [type] : [];
  });
  return types.length > 0 && types.every((type) => type === 'string');
}

/**
 * Gives `doc` yaml.v2's meaning where YAML 1.1 resolution alone would differ from it: every key becomes its
 * text, and every plain scalar that the config schema types as a string only becomes its text. Mutates the
 * document in place (positions are kept), before `toJS()`.
 */
export function applyYamlV2Typing(doc: Document): void {
  // Aliases are not followed (their anchor is typed where it is written), except through merges, which the
  // parser already refused to nest cyclically; the depth bound is a last guard.
  const walk = (node: unknown, schemas: readonly JsonSchema[], depth = 0): void => {
    if (isAlias(node) || depth > 1000) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const text = keyText(pair.key);
        if (isScalar(pair.key) && typeof pair.key.value !== 'string' && typeof text === 'string' && text !== '<<') {
          pair.key.value = text;
        }
        if (text === '<<') {
          // A merge: the merged mapping's keys land here, so they are typed by this mapping's schema.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const source of sources) walk(isAlias(source) ? source.resolve(doc) : source, schemas, depth + 1);
          continue;
        }
        walk(pair.value, typeof text === 'string' ? childSchemas(schemas, text) : [], depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, childSchemas(schemas, i), depth + 1));
    } else if (isScalar(node) && node.type === Scalar.PLAIN && node.value !== null && typeof node.value !== 'string' && onlyString(schemas)) {
      node.value = node.source ?? String(node.value);
    }
  };
  walk(doc.contents, [configJsonSchema()]);
}
