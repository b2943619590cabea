import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCluster, type TestCluster } from '../src/index.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Every Kubernetes manifest under examples/ (YAML files with a `kind:`), at any depth. */
function manifests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : manifests(path);
    if (!/\.ya?ml$/.test(entry.name)) return [];
    return /^kind:/m.test(readFileSync(path, 'utf8')) ? [path] : [];
  });
}

const files = manifests(join(root, 'examples'));
let cluster: TestCluster;

describe.skipIf(files.length === 0)('examples/ manifests', () => {
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(files.map((f) => relative(root, f)))('%s passes kubectl apply --dry-run=server', async (file) => {
    // Namespaces a manifest refers to must exist for a server-side dry run; create them first.
    const text = readFileSync(join(root, file), 'utf8');
    for (const [, ns] of text.matchAll(/^\s+namespace:\s*"?([a-z0-9-]+)"?\s*$/gm)) {
      await cluster.kubectl(['create', 'namespace', ns ?? '']);
    }
    const res = await cluster.kubectl(['apply', '--dry-run=server', '-f', join(root, file)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});
