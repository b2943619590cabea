import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { DEFAULT_CONFIG_PATH, parseGoDuration, runValidate } from './config/index.js';
import { OUTPUT_FORMATS } from './change-lines.js';
import type { OutputFormat } from './change-lines.js';
import { describeError } from './describe-error.js';
import { LOG_FORMATS, LOG_LEVELS } from './logger.js';
import type { LogFormat, LogLevel } from './logger.js';
import { normalizeArgv, type NormalizedArgv } from './normalize-argv.js';
import { runRbac } from './rbac/rbac-command.js';
import { runPreview } from './preview/preview-command.js';
import { runDaemon } from './run-daemon.js';
import { checkStartup } from './startup-check.js';
import { UsageError } from './usage-error.js';
import { version } from './version.js';

const EXAMPLES = `
Examples:
  $ watch-proxy                                   run with /etc/watch-proxy/config.yaml, in-cluster credentials
  $ watch-proxy -c config.yaml --kubeconfig ~/.kube/config
  $ watch-proxy -c config.yaml --dry-run          print changes to stdout instead of POSTing them
  $ watch-proxy -c config.yaml --dry-run -o json  the payloads themselves, one JSON document per line
  $ watch-proxy validate -c config.yaml           check a config file: exit 0 valid, 2 invalid
  $ watch-proxy rbac -c config.yaml | kubectl apply -f -   least-privilege RBAC for a config
  $ watch-proxy preview -c config.yaml            what each endpoint would be sent, and which rule drops the rest
  $ watch-proxy -c config.yaml --log-format pretty --log-level debug

Signals: SIGTERM/SIGINT drain and exit (a second one exits at once); SIGHUP reloads the config.
Exit codes: 0 clean stop, 1 runtime failure, 2 bad flags or config. More in docs/cli.md.`;

/** Flags of the daemon command, as commander parses them. */
interface DaemonFlags {
  readonly config: string;
  readonly kubeconfig?: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly dryRun: boolean;
  readonly output?: OutputFormat;
  readonly strict: boolean;
  readonly livenessStaleAfter?: number;
}

/** Flags of `validate`. */
interface ValidateFlags {
  readonly config: string;
  readonly strict: boolean;
  readonly print: boolean;
  readonly envCheck: boolean;
  readonly dryRun: boolean;
}

/** Flags of `preview`. */
interface PreviewFlags {
  readonly config: string;
  readonly objects?: string;
  readonly kubeconfig?: string;
  readonly json: boolean;
  readonly strict: boolean;
  readonly timeout?: number;
}

/** Parses a positive Go duration flag value to milliseconds (commander reports a throw as a usage error). */
function durationFlag(value: string): number {
  const parsed = parseGoDuration(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  if (parsed.milliseconds <= 0) throw new InvalidArgumentError('must be a positive duration such as "30s" or "5m"');
  return parsed.milliseconds;
}

/** Daemon flags each subcommand takes too: given before the subcommand, they apply to it. */
const SHARED_FLAGS: Readonly<Record<string, readonly string[]>> = {
  validate: ['config', 'strict', 'dryRun'],
  rbac: ['config'],
  preview: ['config', 'strict', 'kubeconfig'],
};

/**
 * A subcommand's flags with the daemon flags written before it applied (`watch-proxy -c f.yaml validate` checks
 * f.yaml, not the default path). A daemon-only flag there, or one given on both sides with two values, is a usage
 * error rather than silently ignored.
 */
function withDaemonFlags<F extends { readonly config: string }>(own: F, command: Command, program: Command): F {
  const name = command.name();
  const shared = SHARED_FLAGS[name] ?? [];
  const given = (cmd: Command, key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  for (const option of program.options) {
    const key = option.attributeName();
    if (given(program, key) && !shared.includes(key)) {
      throw new UsageError(`${option.long ?? option.flags} is a daemon flag, and ${name} does not take it`);
    }
  }
  const parent = program.opts<Record<string, unknown>>();
  if (given(program, 'config') && given(command, 'config') && parent['config'] !== own.config) {
    throw new UsageError(`two config files given (-c ${String(parent['config'])} before ${name}, -c ${own.config} after it): give one`);
  }
  const merged: Record<string, unknown> = { ...own };
  for (const key of shared) {
    if (!given(program, key)) continue;
    // A boolean flag is on when either side sets it; a value given after the subcommand wins.
    merged[key] = typeof parent[key] === 'boolean' ? Boolean(merged[key]) || parent[key] : given(command, key) ? merged[key] : parent[key];
  }
  return merged as F;
}

/**
 * Output cut short by its reader (`watch-proxy --help | head -1`) is not an error: without a listener Node would
 * crash with an EPIPE stack trace. The daemon adds its own listener, which stops it cleanly; any other stdout
 * error is still raised when nobody else handles it.
 */
function ignoreClosedStdout(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') return;
  if (process.stdout.listenerCount('error') === 1) throw error;
}

/** Commander's own exits that are not errors. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Runs the watch-proxy command line with `argv` (without the node and script paths) and resolves to the
 * process exit code: 0 clean, 1 runtime failure, 2 usage or configuration error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  if (!process.stdout.listeners('error').includes(ignoreClosedStdout)) process.stdout.on('error', ignoreClosedStdout);
  let normalized: NormalizedArgv;
  try {
    normalized = normalizeArgv(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`watch-proxy: ${error.message}\n(watch-proxy --help shows the usage)\n`);
    return 2;
  }
  const { argv: args, notes } = normalized;
  let code = 0;
  const program = new Command('watch-proxy')
    .description('Watches Kubernetes resources and POSTs batched JSON about every add, update and delete to HTTP endpoints.')
    .version(version, '-V, --version', 'print the version and exit (-v is glog\'s verbosity, as in the original)')
    .helpOption('-h, --help', 'show this help')
    .option('-c, --config <file>', 'config file (YAML); reloaded when it changes', DEFAULT_CONFIG_PATH)
    .option('--kubeconfig <file>', 'kubeconfig file (also -kubeconfig); default: KUBECONFIG, ~/.kube/config, then in-cluster')
    .addOption(
      new Option('--log-level <level>', 'log threshold; the original\'s glog -v N also sets it (0-2 info, 3-4 debug, 5+ trace)')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .addOption(new Option('--log-format <format>', 'json lines or a compact human format, on stderr').choices(LOG_FORMATS).default('json'))
    .option('--dry-run', 'print the changes to stdout instead of sending them', false)
    .addOption(
      new Option('-o, --output <format>', 'what --dry-run prints: text (a line per change) or json (the payloads); default: text on a terminal, else json')
        .choices(OUTPUT_FORMATS),
    )
    .option('--strict', 'unknown config keys are errors, not warnings', false)
    .option(
      '--liveness-stale-after <duration>',
      '/live fails once a watch has been down this long (Go duration); default: 5m, judged by each watcher',
      durationFlag,
    )
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(watch-proxy --help shows the usage)')
    // `validate -c FILE` must reach validate's own -c, not the daemon's.
    .enablePositionalOptions()
    .allowExcessArguments(false)
    .exitOverride()
    .action(async (flags: DaemonFlags, command: Command) => {
      // An explicit --log-level wins over the original's -v, whichever comes first.
      const explicitLevel = command.getOptionValueSource('logLevel') === 'cli';
      code = await runDaemon({
        config: flags.config,
        kubeconfig: flags.kubeconfig,
        logLevel: explicitLevel ? flags.logLevel : (normalized.logLevel ?? flags.logLevel),
        logFormat: flags.logFormat,
        dryRun: flags.dryRun,
        output: flags.output,
        strict: flags.strict,
        livenessStaleAfterMs: flags.livenessStaleAfter,
        notes,
      });
    });

  program
    .command('validate')
    .description('check a config file and print every problem as file:line:col key: message; exit 0 valid, 2 invalid')
    .option('-c, --config <file>', 'config file (YAML)', DEFAULT_CONFIG_PATH)
    .option('--strict', 'unknown keys are errors, not warnings', false)
    .option('--print', 'also print the normalized config as JSON (env var names, never their values)', false)
    .option('--no-env-check', 'do not check that named env vars are set and named files readable (a file for another machine)')
    .option('--dry-run', 'the file is for a --dry-run daemon (no remoteEndpoints needed: payloads go to stdout)', false)
    .allowExcessArguments(false)
    .exitOverride()
    .action(async (own: ValidateFlags, command: Command) => {
      const flags = withDaemonFlags(own, command, program);
      code = await runValidate({
        config: flags.config,
        strict: flags.strict,
        print: flags.print,
        checkEnvironment: flags.envCheck,
        // The daemon's own start-up checks; ports only when checking this machine's environment.
        startupCheck: (config) => checkStartup(config, { dryRun: flags.dryRun, environment: flags.envCheck, ports: flags.envCheck }),
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  program
    .command('rbac')
    .description('print the least-privilege Roles/ClusterRole and bindings a config needs, as YAML for kubectl apply -f -')
    .option('-c, --config <file>', 'config file (YAML)', DEFAULT_CONFIG_PATH)
    .option('--name <name>', 'name of the ServiceAccount, roles and bindings', 'watch-proxy')
    .option('-n, --namespace <namespace>', 'namespace the daemon runs in (its ServiceAccount\'s)', 'watch-proxy')
    .allowExcessArguments(false)
    .exitOverride()
    .action(async (own: { config: string; name: string; namespace: string }, command: Command) => {
      const flags = withDaemonFlags(own, command, program);
      code = await runRbac({ ...flags, stdout: process.stdout, stderr: process.stderr });
    });

  program
    .command('preview')
    .description('show what each endpoint would be sent (transformed data included) and which rule drops each other object; sends nothing')
    .option('-c, --config <file>', 'config file (YAML)', DEFAULT_CONFIG_PATH)
    .option('--objects <file>', 'YAML or JSON sample objects (documents or kind: List, as kubectl get -o yaml prints) instead of the cluster')
    .option('--kubeconfig <file>', 'kubeconfig file; default: KUBECONFIG, ~/.kube/config, then in-cluster')
    .option('--json', 'print one JSON document instead of lines for people', false)
    .option('--strict', 'unknown keys are errors, not warnings', false)
    .option('--timeout <duration>', 'give up listing the cluster after this long (Go duration); default 60s', durationFlag)
    .allowExcessArguments(false)
    .exitOverride()
    .action(async (own: PreviewFlags, command: Command) => {
      const flags = withDaemonFlags(own, command, program);
      code = await runPreview({
        config: flags.config,
        objects: flags.objects,
        kubeconfig: flags.kubeconfig,
        json: flags.json,
        strict: flags.strict,
        timeoutMs: flags.timeout,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return CLEAN_EXITS.has(error.code) ? 0 : 2;
    if (error instanceof UsageError) {
      process.stderr.write(`watch-proxy: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`watch-proxy: ${describeError(error)}\n`);
    return 1;
  }
}
