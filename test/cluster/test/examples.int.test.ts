import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { startCluster, type TestCluster } from '../src/index.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Every Kubernetes manifest under examples/ (YAML files with a `kind:`), at any depth. */
function manifests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : manifests(path);
    // kustomization.yaml is kubectl's (`apply -k`), not an object of the cluster: checked on its own below.
    if (!/\.ya?ml$/.test(entry.name) || entry.name === 'kustomization.yaml') return [];
    return /^kind:/m.test(readFileSync(path, 'utf8')) ? [path] : [];
  });
}

const files = manifests(join(root, 'examples'));
let cluster: TestCluster;

/** The names of the Namespace objects a manifest defines. */
function namespacesDefinedBy(file: string): string[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null)
    .filter((obj) => obj?.kind === 'Namespace' && typeof obj.metadata?.name === 'string')
    .map((obj) => obj?.metadata?.name as string);
}

/** Namespaces the manifests refer to (`namespace:` lines), which must exist for a server-side dry run. */
const referenced = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s+namespace:\s*"?([a-z0-9-]+)"?\s*$/gm)].map((m) => m[1] ?? '')));

describe.skipIf(files.length === 0)('examples/ manifests', () => {
  beforeAll(async () => {
    cluster = await startCluster();
    // The namespaces examples/ defines are really applied, as a user would (kubectl apply -f examples/namespace.yaml):
    // a namespace made with `kubectl create` would make their dry-run apply warn about a missing last-applied
    // annotation. Namespaces only referenced are created.
    const defined = new Set<string>();
    for (const file of files) {
      const names = namespacesDefinedBy(file);
      if (names.length === 0) continue;
      const res = await cluster.kubectl(['apply', '-f', file]);
      expect(res.code, res.stderr).toBe(0);
      for (const name of names) defined.add(name);
    }
    for (const ns of referenced) {
      if (defined.has(ns)) continue;
      const res = await cluster.kubectl(['create', 'namespace', ns]);
      if (res.code !== 0) expect(res.stderr).toMatch(/AlreadyExists/); // default, kube-system...
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // `kubectl apply -f examples/` fails on ordering (files alphabetically, objects before their namespace).
  it('kubectl apply -k examples/ passes --dry-run=server and applies every object of the listed files', async () => {
    const res = await cluster.kubectl(['apply', '-k', join(root, 'examples'), '--dry-run=server', '-o', 'name']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const listed = (parseAllDocuments(readFileSync(join(root, 'examples', 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] }).resources;
    const objects = listed.flatMap((file) =>
      parseAllDocuments(readFileSync(join(root, 'examples', file), 'utf8'))
        .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((obj): obj is { kind: string; metadata?: { name?: string } } => obj?.kind !== undefined),
    );
    const applied = res.stdout.trim().split('\n');
    expect(applied).toHaveLength(objects.length);
    for (const obj of objects) expect(applied.some((line) => line.endsWith(`/${obj.metadata?.name ?? ''}`)), `${obj.kind} ${obj.metadata?.name}`).toBe(true);
  });

  it.each(files.map((f) => relative(root, f)))('%s passes kubectl apply --dry-run=server', async (file) => {
    const res = await cluster.kubectl(['apply', '--dry-run=server', '-f', join(root, file)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});
