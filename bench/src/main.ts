/**
 * `pnpm bench [scenario...] [--smoke] [--cluster DIR] [--out FILE] [--cpu-prof DIR] [--objects N,N]`
 *
 * Starts a test cluster (or attaches to one from `pnpm cluster up DIR`), runs the scenarios, prints a table of
 * every figure next to a floor measured in the same run, and writes all results (with the machine and its load)
 * as JSON under bench/results/. `--smoke` runs tiny sizes: the code runs end to end, the numbers mean nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { attachCluster, startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { Api } from './api.ts';
import { FULL, SMOKE, type Context, type Row } from './context.ts';
import { brokers } from './scenarios/brokers.ts';
import { deltaUpdates } from './scenarios/delta-updates.ts';
import { idle } from './scenarios/idle.ts';
import { latency, slowEndpoint } from './scenarios/latency.ts';
import { memory } from './scenarios/memory.ts';
import { post } from './scenarios/post.ts';
import { sync } from './scenarios/sync.ts';
import { throughput } from './scenarios/throughput.ts';
import { load1, machine } from './stats.ts';
import { setProfileDir } from './profile.ts';

const SCENARIOS: Record<string, { readonly run: (ctx: Context) => Promise<void>; readonly cluster: boolean }> = {
  post: { run: post, cluster: false },
  'delta-updates': { run: deltaUpdates, cluster: false },
  throughput: { run: throughput, cluster: true },
  latency: { run: latency, cluster: true },
  'slow-endpoint': { run: slowEndpoint, cluster: true },
  sync: { run: sync, cluster: true },
  memory: { run: memory, cluster: true },
  idle: { run: idle, cluster: true },
  brokers: { run: brokers, cluster: true },
};

interface Args {
  readonly names: string[];
  readonly smoke: boolean;
  readonly clusterDir: string | undefined;
  readonly out: string | undefined;
  readonly cpuProf: string | undefined;
  /** `--objects 10000,100000`: population sizes of sync, memory and idle instead of the defaults. */
  readonly populations: number[] | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const names: string[] = [];
  let smoke = false;
  let clusterDir: string | undefined;
  let out: string | undefined;
  let cpuProf: string | undefined;
  let populations: number[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--smoke') smoke = true;
    else if (arg === '--cluster') clusterDir = argv[++i];
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--cpu-prof') cpuProf = argv[++i];
    else if (arg === '--objects') populations = (argv[++i] ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: pnpm bench [${Object.keys(SCENARIOS).join('|')}|all]... [--smoke] [--cluster DIR] [--out FILE] [--cpu-prof DIR] [--objects N,N]\n`);
      process.exit(0);
    } else if (arg === 'all') names.push(...Object.keys(SCENARIOS));
    else if (arg === 'slow') names.push('slow-endpoint');
    else if (arg in SCENARIOS) names.push(arg);
    else {
      process.stderr.write(`bench: unknown scenario or flag "${arg}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}\n`);
      process.exit(2);
    }
  }
  return { names: names.length === 0 ? Object.keys(SCENARIOS) : [...new Set(names)], smoke, clusterDir, out, cpuProf, populations };
}

function fmt(value: number | undefined, unit = ''): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  const abs = Math.abs(value);
  const text = abs >= 1000 ? Math.round(value).toLocaleString('en-US') : abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit === '' ? text : `${text} ${unit}`;
}

/** The results as a markdown table (pasted into docs/benchmarks.md as is). */
function table(rows: readonly Row[]): string {
  const out = ['| scenario | figure | value | floor (same run) | ratio | target | load | notes |', '|---|---|---:|---:|---:|---|---:|---|'];
  for (const r of rows) {
    const target = r.target === undefined ? '' : `${r.target} ${r.met === undefined ? '' : r.met ? '(met)' : '(**missed**)'}`;
    const floor = r.floor === undefined ? '-' : `${fmt(r.floor, r.unit)} (${r.floorLabel ?? ''})`;
    out.push(`| ${r.scenario} | ${r.figure} | ${fmt(r.value, r.unit)} | ${floor} | ${r.ratio === undefined ? '-' : `${fmt(r.ratio)}x`} | ${target} | ${r.load} | ${r.note ?? ''} |`);
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const sizes = { ...(args.smoke ? SMOKE : FULL), ...(args.populations === undefined ? {} : { populations: args.populations }) };
  setProfileDir(args.cpuProf === undefined ? undefined : resolve(args.cpuProf));
  const startedAt = new Date();
  const rows: Row[] = [];
  const details: Record<string, unknown[]> = {};
  const errors: Record<string, string> = {};
  const log = (message: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  log(`scenarios: ${args.names.join(', ')}${args.smoke ? ' (smoke sizes)' : ''}; load average ${load1()}`);

  let cluster: TestCluster | undefined;
  let api: Api | undefined;
  if (args.names.some((name) => SCENARIOS[name]!.cluster)) {
    log(args.clusterDir === undefined ? 'starting a test cluster' : `attaching to the cluster in ${args.clusterDir}`);
    cluster = args.clusterDir === undefined ? await startCluster() : attachCluster(args.clusterDir);
    api = new Api(cluster.server, cluster.caFile, cluster.adminToken);
  }
  try {
    for (const name of args.names) {
      const scenario = SCENARIOS[name]!;
      const ctx: Context = {
        cluster: cluster as TestCluster,
        api: api as Api,
        sizes,
        smoke: args.smoke,
        report: (row) => {
          const full = { ...row, load: load1() };
          rows.push(full);
          log(`${full.scenario}: ${full.figure} = ${fmt(full.value, full.unit)}${full.ratio === undefined ? '' : ` (${fmt(full.ratio)}x floor)`}`);
        },
        detail: (key, value) => void (details[key] ??= []).push(value),
        log,
      };
      log(`scenario ${name}: start (load ${load1()})`);
      const began = Date.now();
      try {
        await scenario.run(ctx);
      } catch (error) {
        errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`scenario ${name} failed: ${errors[name]}`);
      }
      log(`scenario ${name}: done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
  } finally {
    api?.close();
    // An attached cluster belongs to whoever started it.
    if (args.clusterDir === undefined) await cluster?.stop();
  }

  const results = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), smoke: args.smoke, sizes, machine: machine(), rows, details, errors };
  const file = args.out ?? new URL(`../results/${startedAt.toISOString().replaceAll(':', '-').slice(0, 19)}${args.smoke ? '-smoke' : ''}.json`, import.meta.url).pathname;
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${table(rows)}\n\nmachine: ${JSON.stringify(results.machine)}\nresults: ${file}\n`);
  const failed = Object.keys(errors);
  if (failed.length > 0) process.stderr.write(`bench: ${failed.length} scenario(s) failed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
