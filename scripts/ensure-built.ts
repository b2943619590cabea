// vitest globalSetup of both projects (so `pnpm test` needs no build of its own): unit and end-to-end tests spawn
// the built CLI (packages/cli/bin imports dist/, which imports the other packages' dist/). On a clean clone, or after a source edit, they would fail
// with "Cannot find module .../dist/index.js" or test stale code; so the packages are built first when any
// dist/ is missing or older than its sources, and a failed build is reported with its own output.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');

/** Newest modification time (ms) of a file or of any file below a folder. */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

/** Why `pkg`'s dist/ cannot be used as is, or undefined when it is up to date. */
export function staleReason(pkg: string): string | undefined {
  const entry = join(pkg, 'dist', 'index.js');
  if (!existsSync(entry)) return `${entry} is missing`;
  const inputs = ['src', 'tsup.config.ts'].map((name) => join(pkg, name)).filter((path) => existsSync(path));
  return Math.max(...inputs.map(newest)) > statSync(entry).mtimeMs ? `${pkg}/src is newer than its dist/` : undefined;
}

export default function setup(): void {
  const packages = readdirSync(packagesDir)
    .map((name) => join(packagesDir, name))
    .filter((pkg) => existsSync(join(pkg, 'tsup.config.ts')));
  const reasons = packages.map(staleReason).filter((reason): reason is string => reason !== undefined);
  if (reasons.length === 0) return;
  process.stderr.write(`tests: building the packages first (the CLI tests run the built bin): ${reasons.join('; ')}\n`);
  const build = spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (build.status !== 0) {
    const cause = build.error?.message ?? build.stderr.trim().split('\n').slice(-30).join('\n');
    throw new Error(`tests: \`pnpm run build\` failed, so the CLI tests cannot run (${reasons.join('; ')}):\n${cause}`);
  }
}
