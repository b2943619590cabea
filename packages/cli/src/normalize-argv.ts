/**
 * Accepts the original's Go-style flags so an existing Deployment's `args` keep working: Go's `flag` package
 * takes one or two dashes for long names (`-kubeconfig FILE`, `-c=FILE`, `--v 2`), and glog added logging flags.
 * glog's `-v` (verbosity) is mapped onto `--log-level`; its other flags mean nothing here (pino replaces glog).
 */
import type { LogLevel } from './logger.js';
import { UsageError } from './usage-error.js';

/** glog flags the original's binary accepted besides `-v`; dropped with a note. */
const GLOG_FLAGS: ReadonlySet<string> = new Set(['logtostderr', 'alsologtostderr', 'stderrthreshold', 'log_dir', 'vmodule', 'log_backtrace_at']);

/** glog flags that take a value; written as a separate argument (`-log_dir DIR`) when there is no `=`. */
const GLOG_VALUE_FLAGS: ReadonlySet<string> = new Set(['stderrthreshold', 'log_dir', 'vmodule', 'log_backtrace_at']);

/** The result of {@link normalizeArgv}. */
export interface NormalizedArgv {
  readonly argv: string[];
  /** One note per dropped flag, for a warning at startup (`-v` is honoured, so it has none). */
  readonly notes: string[];
  /**
   * The log level glog's `-v N` asked for (see {@link glogLevel}), or `undefined` when `-v` was not given.
   * An explicit `--log-level` wins over it.
   */
  readonly logLevel?: LogLevel | undefined;
}

/**
 * Maps a glog verbosity onto a pino level, following the Kubernetes logging conventions for `-v`: 0-2 are the
 * normal operator view (`info`, what the original logged at any `-v`, since it never used V levels), 3-4 add
 * debugging detail (`debug`), 5 and more trace-level detail (`trace`).
 */
export function glogLevel(verbosity: number): LogLevel {
  if (verbosity >= 5) return 'trace';
  if (verbosity >= 3) return 'debug';
  return 'info';
}

/** Parses glog's `-v` value: a non-negative integer, as Go's `flag` read it into a `glog.Level` (int32). */
function verbosityOf(flag: string, value: string | undefined): number {
  if (value === undefined) {
    throw new UsageError(`${flag} needs a value: glog's log verbosity, e.g. "-v 2" (the version is printed by --version)`);
  }
  if (!/^[0-9]+$/.test(value)) {
    throw new UsageError(`invalid value ${JSON.stringify(value)} for ${flag}: expected glog's log verbosity, a whole number such as 2`);
  }
  return Number(value);
}

/**
 * Rewrites `-kubeconfig`/`--kubeconfig` forms to `--kubeconfig`, `-c=FILE` to `--config=FILE`, turns glog's
 * `-v N`/`-v=N`/`--v N`/`--v=N` into a log level, and drops the other glog flags (`-logtostderr`,
 * `-log_dir DIR`...) with a note. Arguments after `--` are left alone. Throws a `UsageError` for a `-v` without
 * a whole number.
 */
export function normalizeArgv(argv: readonly string[]): NormalizedArgv {
  const out: string[] = [];
  const notes: string[] = [];
  let logLevel: LogLevel | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const match = /^--?([A-Za-z_]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    const value = match?.[2];
    if (name === 'kubeconfig') {
      out.push(value === undefined ? '--kubeconfig' : `--kubeconfig=${value}`);
    } else if (name === 'c' && value !== undefined) {
      out.push(`--config=${value}`);
    } else if (name === 'v') {
      const flag = arg.startsWith('--') ? '--v' : '-v';
      const raw = value ?? argv[++i];
      const verbosity = verbosityOf(flag, raw);
      logLevel = glogLevel(verbosity);
    } else if (name !== undefined && GLOG_FLAGS.has(name)) {
      if (value === undefined && GLOG_VALUE_FLAGS.has(name)) i++;
      notes.push(`ignoring the original's glog flag ${arg}: logs always go to stderr; use --log-level and --log-format`);
    } else {
      out.push(arg);
    }
  }
  return { argv: out, notes, logLevel };
}
