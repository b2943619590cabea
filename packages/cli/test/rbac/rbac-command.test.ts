import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { runRbac } from '../../src/rbac/rbac-command.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-rbac-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rbac(yaml: string, flags: { name?: string; namespace?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const config = join(dir, 'config.yaml');
  writeFileSync(config, yaml);
  let out = '';
  let err = '';
  const code = await runRbac({ config, name: flags.name ?? 'watch-proxy', namespace: flags.namespace ?? 'watch-proxy', stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

describe('watch-proxy rbac', () => {
  it('prints Roles and bindings for kubectl apply, bound to the named ServiceAccount', async () => {
    const { code, out } = await rbac('remoteEndpoints:\n- url: http://127.0.0.1:9/\nresources:\n- name: pods\n  namespaces: [apps]\nstateStore: {type: cluster}\n', { name: 'wp', namespace: 'ops' });
    expect(code).toBe(0);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; subjects?: unknown });
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace ?? ''}/${d.metadata.name}`)).toEqual(['Role apps/wp', 'RoleBinding apps/wp', 'Role ops/wp-state', 'RoleBinding ops/wp-state']);
    expect(docs[1]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'wp', namespace: 'ops' }]);
    expect(out).toContain('  verbs: [list, watch]\n');
  });

  it('exits 2 naming a bare plural whose API group only discovery knows, and for an invalid file', async () => {
    const unknown = await rbac('remoteEndpoints:\n- url: http://127.0.0.1:9/\nresources:\n- name: widgets\n');
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toContain('"widgets" is not a built-in resource');
    const invalid = await rbac('resources:\n- nmae: pods\n');
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/config\.yaml:2:\d+ /);
  });
});
