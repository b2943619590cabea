/**
 * Accepts the original's Go-style flags so an existing Deployment's `args` keep working: Go's `flag` package
 * takes one dash for long names (`-kubeconfig FILE`, `-c=FILE`), and glog added logging flags that mean nothing
 * here (pino replaces glog).
 */

/** glog flags the original's binary accepted; dropped with a note. */
const GLOG_FLAGS = new Set(['logtostderr', 'alsologtostderr', 'stderrthreshold', 'log_dir', 'vmodule', 'log_backtrace_at', 'v']);

/** The result of {@link normalizeArgv}. */
export interface NormalizedArgv {
  readonly argv: string[];
  /** One note per dropped flag, for a warning at startup. */
  readonly notes: string[];
}

/**
 * Rewrites `-kubeconfig`/`--kubeconfig` forms to `--kubeconfig`, `-c=FILE` to `--config=FILE`, and drops glog
 * flags (`-v=2`, `-logtostderr`...). A bare `-v` stays `--version`. Arguments after `--` are left alone.
 */
export function normalizeArgv(argv: readonly string[]): NormalizedArgv {
  const out: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const match = /^--?([A-Za-z_]+)(=.*)?$/.exec(arg);
    const name = match?.[1];
    const value = match?.[2];
    if (name === 'kubeconfig') {
      out.push(`--kubeconfig${value ?? ''}`);
    } else if (name === 'c' && value !== undefined) {
      out.push(`--config${value}`);
    } else if (name !== undefined && GLOG_FLAGS.has(name) && !(name === 'v' && value === undefined)) {
      // `-log_dir DIR` and `-vmodule X` take a separate value in Go; the boolean ones and `-v=N` do not.
      if (value === undefined && (name === 'log_dir' || name === 'vmodule' || name === 'stderrthreshold' || name === 'log_backtrace_at')) i++;
      notes.push(`ignoring the original's glog flag ${arg}: use --log-level and --log-format`);
    } else {
      out.push(arg);
    }
  }
  return { argv: out, notes };
}
