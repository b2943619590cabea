/**
 * Loads a config file: YAML 1.1 as the original read it, with positions, then the zod schema, then cross-key and environment checks.
 * Every problem is collected (not just the first) and located as `file:line:col key.path: message`; nothing
 * is thrown, so `watch-proxy validate` and hot reload share one code path.
 */
import { readBoundedFile } from '@watch-proxy/http-sink';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { ZodError } from 'zod';
import type { z } from 'zod';

import { checkConfig } from './check-config.js';
import { checkEnvironment } from './check-environment.js';
import { checkExpressions } from './check-expressions.js';
import { deepFreeze } from './deep-freeze.js';
import { didYouMean, isNearMiss } from './did-you-mean.js';
import { issueMessage } from './issue-message.js';
import { knownKeysAt } from './json-schema.js';
import { configFileSchema, httpEndpointSchema } from './schema.js';
import { toConfig } from './to-config.js';
import type { ConfigDiagnostic, ConfigSeverity, LoadConfigOptions, LoadConfigResult } from './types.js';
import { applyYamlV2Typing, YAML_1_1_OPTIONS } from './yaml-1-1.js';
import { positionInValue, positionOf } from './yaml-positions.js';
import type { PositionTarget } from './yaml-positions.js';

/** Where the daemon looks for its config when `-c` is not given (the original's fixed path). */
export const DEFAULT_CONFIG_PATH = '/etc/watch-proxy/config.yaml';

/**
 * Largest config file read: 1 MiB, the most a Kubernetes ConfigMap can hold. Parsing costs ~20x the file in
 * memory, so an unbounded file (or `/dev/zero`) would take the daemon down before a single error is printed.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

type Path = readonly (string | number)[];

/**
 * Renders a diagnostic as one line: `file:line:col key.path: message`, or `file:line:col: message` when it is
 * about the whole file, or `file: message` without a position. Warnings read `... key.path: warning: message`.
 */
export function formatDiagnostic(diagnostic: ConfigDiagnostic): string {
  const where = diagnostic.line > 0 ? `${diagnostic.file}:${String(diagnostic.line)}:${String(diagnostic.column)}` : diagnostic.file;
  const message = diagnostic.severity === 'warning' ? `warning: ${diagnostic.message}` : diagnostic.message;
  return diagnostic.path === '' ? `${where}: ${message}` : `${where} ${diagnostic.path}: ${message}`;
}

/**
 * Reads and loads the config file at `path`. A file that cannot be read is an error diagnostic without a
 * position (`config.yaml: file not found`, `config.yaml: is a FIFO (named pipe), not a regular file`), never an
 * exception. Only a regular file of at most {@link MAX_CONFIG_FILE_BYTES} is read, off the event loop.
 */
export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  let text: string;
  try {
    text = (await readBoundedFile(path, MAX_CONFIG_FILE_BYTES)).toString('utf8');
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    const message = typeof reason === 'string' ? reason : 'cannot read file';
    return { ok: false, errors: [{ severity: 'error', file: path, line: 0, column: 0, path: '', message }], warnings: [] };
  }
  const parsed = parseConfig(text, path, options);
  if (!parsed.ok || options.startupCheck === undefined) return parsed;
  const findings = await options.startupCheck(parsed.config);
  if (findings.length === 0) return parsed;
  // Rare (the file is refused), so the document is parsed again only here, for positions.
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { ...YAML_1_1_OPTIONS, lineCounter, prettyErrors: false });
  const located = findings.map((finding): ConfigDiagnostic => {
    const { line, column } = positionOf(doc, lineCounter, finding.path);
    return { severity: finding.severity, file: path, line, column, path: finding.path.join('.'), message: finding.message };
  });
  const order = (a: ConfigDiagnostic, b: ConfigDiagnostic): number => a.line - b.line || a.column - b.column;
  const errors = located.filter((d) => d.severity === 'error').sort(order);
  const warnings = [...parsed.warnings, ...located.filter((d) => d.severity === 'warning')].sort(order);
  return errors.length === 0 ? { ok: true, config: parsed.config, warnings } : { ok: false, errors, warnings };
}

/** The null-stripping pass: in the original (yaml.v2), `key:` with no value meant "use the default". */
function stripNulls(value: unknown, path: Path): unknown {
  if (Array.isArray(value)) return value.map((item, i) => stripNulls(item, [...path, i]));
  if (typeof value !== 'object' || value === null) return value;
  // `metadata` is free-form: a null there is a value the payload carries (`"key":null`).
  if (path.length === 1 && path[0] === 'metadata') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) out[key] = stripNulls(child, [...path, key]);
  }
  return out;
}

function deleteAt(root: unknown, path: Path, key: string): void {
  let node = root;
  for (const segment of path) node = (node as Record<string | number, unknown> | undefined)?.[segment];
  if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[key];
}

/** A message in YAML-library wording trimmed to its first sentence, without the library's own position suffix. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

const PARSE_OPTIONS = { error: (issue: z.core.$ZodRawIssue) => issueMessage(issue) };

/**
 * Parses the file's data with the schema. An endpoint whose `type` is none of the known ones fails at `type`
 * alone (no type, no keys to check against); it is checked as an http endpoint (the original's only kind), so
 * its other problems are reported in the same round and a misspelt key still gets its "did you mean".
 */
function parseFile(input: unknown): ReturnType<typeof configFileSchema.safeParse> {
  const result = configFileSchema.safeParse(input, PARSE_OPTIONS);
  if (result.success) return result;
  const issues = result.error.issues.flatMap((issue): z.core.$ZodIssue[] => {
    const [list, index, key] = issue.path;
    if (issue.code !== 'invalid_union' || issue.path.length !== 3 || list !== 'remoteEndpoints' || key !== 'type' || typeof index !== 'number') return [issue];
    const endpoint = (input as { remoteEndpoints: unknown[] }).remoteEndpoints[index];
    const asHttp = httpEndpointSchema.safeParse(endpoint, PARSE_OPTIONS);
    return asHttp.success ? [issue] : asHttp.error.issues.map((inner) => ({ ...inner, path: [list, index, ...inner.path] }));
  });
  return { success: false, error: new ZodError(issues) } as ReturnType<typeof configFileSchema.safeParse>;
}

/**
 * Loads config text. `file` is only used in diagnostics. Unknown keys are warnings with a did-you-mean
 * suggestion (errors when `options.strict`, and always when they are a near-miss of a known key, see
 * `isNearMiss`); on success the config is deep-frozen.
 */
export function parseConfig(text: string, file: string, options: LoadConfigOptions = {}): LoadConfigResult {
  const errors: ConfigDiagnostic[] = [];
  const warnings: ConfigDiagnostic[] = [];
  const lineCounter = new LineCounter();
  const add = (severity: ConfigSeverity, line: number, column: number, path: Path, message: string): void => {
    (severity === 'error' ? errors : warnings).push({ severity, file, line, column, path: path.join('.'), message });
  };
  const done = (): LoadConfigResult => {
    const order = (a: ConfigDiagnostic, b: ConfigDiagnostic): number => a.line - b.line || a.column - b.column;
    return { ok: false, errors: errors.sort(order), warnings: warnings.sort(order) };
  };

  // YAML 1.1 as the original's yaml.v2 read it (see yaml-1-1.ts): a file written for the original means the same.
  const doc: Document = parseDocument(text, { ...YAML_1_1_OPTIONS, lineCounter, prettyErrors: false });
  for (const problem of doc.errors) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    if (problem.code === 'DUPLICATE_KEY') {
      // The error spans only the key's first character; the key runs to its `:`.
      const key = (/^(?:"[^"]*"|'[^']*'|[^:\n]*)/.exec(text.slice(problem.pos[0]))?.[0] ?? '').trim().replace(/^["']|["']$/g, '');
      add('error', line, col, [], `duplicate key ${JSON.stringify(key)} (each key may appear once in a mapping)`);
    } else {
      add('error', line, col, [], `invalid YAML: ${yamlMessage(problem.message)}`);
    }
  }
  for (const problem of doc.warnings) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    add('warning', line, col, [], `YAML: ${yamlMessage(problem.message)}`);
  }
  if (errors.length > 0) return done();

  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    add('error', 1, 1, [], 'the file is empty; expected a mapping of settings such as "resources:" and "remoteEndpoints:"');
    return done();
  }
  if (!isMap(contents)) {
    const { line, column } = positionOf(doc, lineCounter, []);
    const got = isSeq(contents) ? 'a list' : 'a single value';
    add('error', line, column, [], `the top level must be a mapping of settings, got ${got}`);
    return done();
  }

  applyYamlV2Typing(doc);
  let raw: Record<string, unknown>;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
  } catch (error) {
    // Only alias explosions ("billion laughs") get here; the message is the YAML library's, without a stack.
    add('error', 1, 1, [], `invalid YAML: ${yamlMessage(error instanceof Error ? error.message : String(error))}`);
    return done();
  }
  if (raw['kind'] === 'ConfigMap' && typeof raw['data'] === 'object') {
    add('error', 1, 1, [], 'this is a Kubernetes ConfigMap manifest, not a watch-proxy config: use the config.yaml inside its data (mounted as /etc/watch-proxy/config.yaml)');
    return done();
  }

  const position = (path: Path, target: PositionTarget = 'value') => positionOf(doc, lineCounter, path, target);
  const input = stripNulls(raw, []) as Record<string, unknown>;
  // Top-level `x-...` keys are the operator's own (typically anchors for `<<` merges), as in docker compose.
  for (const key of Object.keys(input)) if (key.startsWith('x-')) delete input[key];
  let result = parseFile(input);
  const unknownKeys = result.success ? [] : result.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
  if (unknownKeys.length > 0) {
    for (const issue of unknownKeys) {
      for (const key of issue.keys) {
        const path = [...(issue.path as (string | number)[]), key];
        const suggestion = didYouMean(key, knownKeysAt(issue.path as (string | number)[], input));
        const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
        const { line, column } = position(path, 'key');
        // A near-miss of a known key is an error even when lenient: the setting it was meant to be is missing.
        if (options.strict === true || (suggestion !== undefined && isNearMiss(key, suggestion))) add('error', line, column, path, `unknown key${hint}`);
        else add('warning', line, column, path, `unknown key, ignored${hint}`);
        deleteAt(input, issue.path as Path, key);
      }
    }
    // Parse again without them, so that in lenient mode a file whose only problems are unknown keys loads.
    result = parseFile(input);
  }
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path as (string | number)[];
      const { line, column } = position(path);
      add('error', line, column, path, issue.message);
    }
  }
  const findings = options.checkEnvironment === false ? [] : checkEnvironment(input, options.env ?? process.env);
  if (result.success) findings.push(...checkConfig(result.data));
  for (const finding of findings) {
    const { line, column } = position(finding.path);
    add(finding.severity, line, column, finding.path, finding.message);
  }
  // Pointing into the expression: the line and column of the offending character inside the YAML scalar.
  for (const finding of checkExpressions(input)) {
    const { line, column } = positionInValue(doc, lineCounter, text, finding.path, finding.offset);
    add('error', line, column, finding.path, finding.message);
  }
  if (!result.success || errors.length > 0) return done();

  const sorted = done();
  return { ok: true, config: deepFreeze(toConfig(result.data)), warnings: sorted.warnings };
}
