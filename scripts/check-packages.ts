// CI step "packages": packs every package as it would be published (`pnpm pack`, which runs its prepack build)
// and checks each tarball carries README.md, LICENSE and every file its package.json points at (each condition
// of each export, bin, types); then installs the tarballs into a throwaway consumer project and type-checks an
// import of every entry point with `strict` and without `skipLibCheck`, as a user's project would.
// Usage: node scripts/check-packages.ts [--keep]   (exit 0 when all is well, 1 with every problem listed)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'wp-packages-'));
const problems: string[] = [];

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly exports?: unknown;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly types?: string;
  readonly main?: string;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

/** Every file path an exports map names, with the subpath and condition chain that names it. */
function exportTargets(value: unknown, where: string): [string, string][] {
  if (typeof value === 'string') return [[where, value]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, `${where} ${key}`));
}

function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

interface Packed {
  readonly tarball: string;
  readonly manifest: Manifest;
}

function pack(dir: string): Packed {
  const dest = join(work, 'tarballs', dir.split('/').at(-1) ?? 'pkg');
  mkdirSync(dest, { recursive: true });
  run('pnpm', ['pack', '--pack-destination', dest], dir);
  const tarball = join(dest, readdirSync(dest).find((name) => name.endsWith('.tgz')) ?? '');
  const files = new Set(run('tar', ['-tzf', tarball], work).split('\n').map((line) => line.replace(/^package\//, '')));
  const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], work)) as Manifest;
  const need = (file: string, why: string): void => {
    if (!files.has(file.replace(/^\.\//, ''))) problems.push(`${manifest.name}: ${why} ${file} is not in the tarball`);
  };
  need('README.md', 'the readme');
  need('LICENSE', 'the license');
  for (const [where, target] of exportTargets(manifest.exports, 'exports')) if (!target.endsWith('/')) need(target, where);
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  for (const bin of bins) need(bin, 'bin');
  if (manifest.types !== undefined) need(manifest.types, 'types');
  if (manifest.main !== undefined) need(manifest.main, 'main');
  return { tarball, manifest };
}

/** The import specifiers of a package's entry points (`name`, `name/testing`...), package.json excluded. */
function entryPoints(manifest: Manifest): string[] {
  const exportsMap = manifest.exports;
  if (typeof exportsMap !== 'object' || exportsMap === null) return [manifest.name];
  return Object.keys(exportsMap)
    .filter((key) => key.startsWith('.') && !key.endsWith('.json') && !key.includes('*'))
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

function checkConsumer(packed: readonly Packed[]): void {
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const ours = new Set(packed.map((p) => p.manifest.name));
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const fileSpecs = Object.fromEntries(packed.map((p) => [p.manifest.name, `file:${p.tarball}`]));
  // A user installs the peers the packages ask for (the Kubernetes client; vitest for core/testing).
  const peers = Object.fromEntries(
    packed.flatMap((p) => Object.entries(p.manifest.peerDependencies ?? {})).filter(([name]) => !ours.has(name)),
  );
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { ...fileSpecs, ...peers },
      devDependencies: { typescript: rootManifest.devDependencies['typescript'], '@types/node': rootManifest.devDependencies['@types/node'] },
      // The packed manifests name each other by version; those versions are the tarballs, not the registry.
      pnpm: { overrides: fileSpecs },
    }),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', types: ['node'] },
    }),
  );
  const specifiers = packed.flatMap((p) => entryPoints(p.manifest));
  writeFileSync(
    join(consumer, 'index.ts'),
    `${specifiers.map((s, i) => `import * as entry${String(i)} from '${s}';`).join('\n')}\nexport const entries = [${specifiers.map((_, i) => `entry${String(i)}`).join(', ')}];\n`,
  );
  try {
    run('pnpm', ['install', '--prefer-offline', '--ignore-workspace', '--config.strict-peer-dependencies=false'], consumer);
  } catch (error) {
    problems.push(`consumer: pnpm install failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`);
    return;
  }
  try {
    run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', consumer], consumer);
  } catch (error) {
    const out = String((error as { stdout?: unknown }).stdout ?? error).trim();
    problems.push(`consumer: tsc --strict without skipLibCheck failed on ${specifiers.join(', ')}:\n${out}`);
  }
}

try {
  const dirs = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));
  const packed: Packed[] = [];
  for (const dir of dirs) {
    try {
      packed.push(pack(dir));
    } catch (error) {
      problems.push(`${dir}: pnpm pack failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`);
    }
  }
  console.log(`packed: ${packed.map((p) => `${p.manifest.name}@${p.manifest.version}`).join(', ')}`);
  if (packed.length === dirs.length) checkConsumer(packed);
} finally {
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
for (const problem of problems) console.error(problem);
console.log(problems.length === 0 ? 'packages: every tarball complete; a strict consumer type-checks' : `packages: ${String(problems.length)} problem(s)`);
process.exitCode = problems.length === 0 ? 0 : 1;
