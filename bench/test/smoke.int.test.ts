/**
 * CI smoke run of every benchmark scenario at tiny sizes, so the benchmark code cannot rot. It checks that each
 * scenario ran and reported its figures; never what the figures are (speed is judged by `pnpm bench`, not tests).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wp-bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Results {
  readonly rows: readonly { readonly scenario: string; readonly value: number }[];
  readonly errors: Record<string, string>;
}

// The run starts its own cluster and daemons: minutes on a loaded 2-core machine, hence the generous limit (a
// hang guard, not a timing assertion).
it('runs every scenario at smoke sizes and reports each one', { timeout: 600_000 }, async () => {
  const out = join(dir, 'results.json');
  const { stdout } = await run(process.execPath, [MAIN, 'all', '--smoke', '--out', out], { maxBuffer: 64 * 2 ** 20 }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`bench --smoke failed:\n${error.stderr ?? ''}\n${error.stdout ?? ''}`);
  });
  const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
  expect(results.errors).toEqual({});
  const scenarios = new Set(results.rows.map((row) => row.scenario));
  expect([...scenarios].sort()).toEqual(['deltaUpdates', 'http-sink POST', 'idle-cpu', 'initial-sync', 'kafka sink', 'latency', 'memory', 'nats sink', 'slow-endpoint', 'throughput', 'throughput-filter']);
  for (const row of results.rows) expect(Number.isFinite(row.value), `${row.scenario}: ${JSON.stringify(row)}`).toBe(true);
  expect(stdout).toContain('| scenario | figure | value | floor (same run) |');
});
