import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { daemonArgs, hasClusterAccess, hasFlag, QUICKSTART_CONFIG, userArgs } from '../first-run/args.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-start-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pnpm start arguments', () => {
  // pnpm passes the `--` of `pnpm start -- -c FILE` on; the daemon took it as the end of its options.
  it('drops the leading -- pnpm passes on, keeps a later one', () => {
    expect(userArgs(['--', '-c', 'my.yaml'])).toEqual(['-c', 'my.yaml']);
    expect(userArgs(['-c', 'my.yaml', '--', 'x'])).toEqual(['-c', 'my.yaml', '--', 'x']);
  });

  it('runs the quick-start config unless -c/--config is given, always with --dry-run', () => {
    expect(daemonArgs([])).toEqual(['--dry-run', '-c', QUICKSTART_CONFIG]);
    expect(daemonArgs(['-c', 'my.yaml'], ['--output', 'text'])).toEqual(['--dry-run', '--output', 'text', '-c', 'my.yaml']);
    expect(daemonArgs(['--config=my.yaml'])).toEqual(['--dry-run', '--config=my.yaml']);
    expect(daemonArgs(['-c=my.yaml'])).toEqual(['--dry-run', '-c=my.yaml']);
  });

  it('finds flags in every spelling, and none after --', () => {
    expect(hasFlag(['--kubeconfig=/k'], ['--kubeconfig'])).toBe(true);
    expect(hasFlag(['-kubeconfig', '/k'], ['--kubeconfig', '-kubeconfig'])).toBe(true);
    expect(hasFlag(['--', '--kubeconfig', '/k'], ['--kubeconfig'])).toBe(false);
    expect(hasFlag(['--config-x'], ['--config'])).toBe(false);
  });

  it('has cluster access with --kubeconfig, KUBECONFIG, or ~/.kube/config, in the daemon\'s order; not with none', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(hasClusterAccess([], { HOME: empty })).toBe(false);
    expect(hasClusterAccess([], { HOME: empty, KUBECONFIG: ':' })).toBe(false);
    expect(hasClusterAccess(['--kubeconfig', '/k'], { HOME: empty })).toBe(true);
    expect(hasClusterAccess([], { HOME: empty, KUBECONFIG: '/k' })).toBe(true);
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), '');
    expect(hasClusterAccess([], { HOME: home })).toBe(true);
  });
});
