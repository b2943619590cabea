/**
 * Reads a file of sample objects for `watch-proxy preview --objects`: YAML or JSON, one object per document or
 * `kind: List` documents (what `kubectl get ... -o yaml` prints), and sorts each object to the configured
 * resource it belongs to, by its `apiVersion` and `kind`.
 */
import { readFile } from 'node:fs/promises';

import type { KubeObject } from '@watch-proxy/core';
import type { ResolvedResource } from '@watch-proxy/core/watch';
import { parseAllDocuments } from 'yaml';

import { resourcePlural } from '../config/check-config.js';

/** The objects of one configured resource, with the resource as the pipeline sees it. */
export interface SampleGroup {
  readonly resource: ResolvedResource;
  readonly objects: readonly KubeObject[];
}

/** The sample objects sorted to the configured resources, and those no configured resource takes. */
export interface SampleObjects {
  /** One per configured resource, in configuration order (empty when the file has none of its objects). */
  readonly groups: readonly SampleGroup[];
  /** `Kind name` of each object no configured resource watches. */
  readonly unwatched: readonly string[];
}

/** A file the preview cannot read or use; the message says what and where. */
export class SampleObjectsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleObjectsError';
  }
}

/**
 * The plural Kubernetes guesses for a kind when it has no discovery (client-go's `UnsafeGuessKindToResource`):
 * lower-case, `-s` -> `-ses`, consonant + `y` -> `-ies`, else `+s`. Right for every built-in kind.
 */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The group a configured name pins (`plural.group`, `group/version/plural`), or undefined when it names none. */
function pinnedGroup(name: string): string | undefined {
  if (name.includes('/')) {
    const parts = name.split('/');
    return parts.length === 3 ? parts[0] : '';
  }
  const dot = name.indexOf('.');
  return dot < 0 ? undefined : name.slice(dot + 1);
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Every object of the documents, Lists unpacked. */
function objectsOf(documents: readonly unknown[], file: string): KubeObject[] {
  const out: KubeObject[] = [];
  documents.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new SampleObjectsError(`${file}: document ${String(i + 1)} is not a Kubernetes object (a mapping with apiVersion, kind and metadata)`);
    const record = doc as Record<string, unknown>;
    const items = text(record['kind']).endsWith('List') && Array.isArray(record['items']) ? (record['items'] as unknown[]) : [record];
    for (const item of items) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new SampleObjectsError(`${file}: document ${String(i + 1)} holds an item that is not an object`);
      out.push(item as KubeObject);
    }
  });
  return out;
}

/**
 * Reads `file` and sorts its objects to `resources` (configured names). An object's plural is guessed from its
 * kind; a configured name that pins a group (`plural.group`, `group/version/plural`) takes only objects of that
 * group. An object without `metadata.uid` gets `sample-<n>`, as the pipeline keys deletes by uid.
 */
export async function readSampleObjects(file: string, resources: readonly string[]): Promise<SampleObjects> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new SampleObjectsError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const documents = parseAllDocuments(source);
  const list = Array.isArray(documents) ? documents : [documents];
  for (const doc of list) {
    const problem = doc.errors[0];
    if (problem !== undefined) throw new SampleObjectsError(`${file}: invalid YAML: ${problem.message.split('\n')[0] ?? ''}`);
  }
  const objects = objectsOf(list.map((doc) => doc.toJS({ maxAliasCount: 1000 }) as unknown), file);

  const byResource = new Map<string, KubeObject[]>(resources.map((name) => [name, []]));
  const seen = new Map<string, { group: string; version: string; kind: string; namespaced: boolean }>();
  const unwatched: string[] = [];
  objects.forEach((object, n) => {
    const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
    const kind = text(object['kind']);
    const { group, version } = splitApiVersion(text(object['apiVersion']));
    const plural = guessPlural(kind);
    const target = resources.find((name) => resourcePlural(name) === plural && (pinnedGroup(name) ?? group) === group);
    if (target === undefined || kind === '') {
      unwatched.push(`${kind === '' ? 'an object without kind' : kind} ${text(metadata['name'])}`.trim());
      return;
    }
    const withUid = typeof metadata['uid'] === 'string' ? object : { ...object, metadata: { ...metadata, uid: `sample-${String(n + 1)}` } };
    byResource.get(target)?.push(withUid);
    if (!seen.has(target)) seen.set(target, { group, version, kind, namespaced: typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' });
  });
  const groups = resources.map((name): SampleGroup => {
    const found = seen.get(name);
    const group = found?.group ?? pinnedGroup(name) ?? '';
    const ref = { group, version: found?.version ?? 'v1', resource: resourcePlural(name), kind: found?.kind ?? '', namespaced: found?.namespaced ?? true };
    return { resource: { name, ref }, objects: byResource.get(name) ?? [] };
  });
  return { groups, unwatched };
}
