/**
 * The daemon command: load the config and cluster access, run the pipeline, reload on file changes and SIGHUP,
 * and stop on SIGTERM/SIGINT. Resolves to the exit code: 0 clean stop, 1 runtime failure (start failed, or the
 * shutdown left changes undelivered), 2 bad input (config, flags, credentials).
 */
import type { Logger, ShutdownReport, WatchProxyError } from '@watch-proxy/core';
import type { WatchdogBounds } from '@watch-proxy/core/watch';

import type { OutputFormat } from './change-lines.js';
import { formatDiagnostic, loadConfigFile } from './config/index.js';
import type { ConfigEnv, WatchProxyConfig } from './config/index.js';
import { hashConfigFile, watchConfigFile } from './config-file-watcher.js';
import type { ConfigFileWatcher } from './config-file-watcher.js';
import { Daemon } from './daemon.js';
import { describeError } from './describe-error.js';
import { loadKubeConfig } from './kube-config.js';
import { daemonNamespace } from './leader-election.js';
import { createLeaderMetrics } from './leader-metrics.js';
import { createListMemoryRelease } from './list-memory-release.js';
import { createStateStoreMetrics } from './state-store-metrics.js';
import { createLogger } from './logger.js';
import { createOps } from './ops.js';
import type { LogFormat, LogLevel } from './logger.js';
import { reportMissingAccess } from './rbac/access-check.js';
import { createReloader } from './reload.js';
import { OpsServerError } from './serve/index.js';
import { handleSignals } from './signals.js';
import { checkStartup } from './startup-check.js';
import { UsageError } from './usage-error.js';
import { version } from './version.js';
import { watchdogsFromEnv } from './watchdog-env.js';

/** Options of {@link runDaemon}: the parsed flags. */
export interface RunDaemonOptions {
  /** `-c/--config`. */
  readonly config: string;
  /** `--kubeconfig`; undefined = `KUBECONFIG`, `~/.kube/config`, then in-cluster. */
  readonly kubeconfig?: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** `--dry-run`: print payloads to stdout, send nothing. */
  readonly dryRun: boolean;
  /**
   * `--output`: what the stdout sink prints, `json` payloads or `text` lines. Default: `text` when stdout is a
   * terminal, else `json`.
   */
  readonly output?: OutputFormat | undefined;
  /** `--strict`: unknown config keys are errors. */
  readonly strict: boolean;
  /** `--liveness-stale-after` in ms; undefined: each watcher's own bound (5 min). */
  readonly livenessStaleAfterMs?: number | undefined;
  /** Notes from argv normalization, logged as warnings. */
  readonly notes?: readonly string[] | undefined;
  readonly env?: ConfigEnv | undefined;
  /** Where human-facing startup errors go. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream | undefined;
}

/** A report that lost changes (undelivered at the deadline, or the caches could not be written) makes exit 1. */
function reportFailed(report: ShutdownReport | undefined): boolean {
  return report !== undefined && (!report.drained || (report.dropped.shutdown ?? 0) > 0 || report.errors.length > 0);
}

/**
 * The exit code of a failed first start: 2 for a config-shaped failure (a credential variable vanished, a bad sink
 * option), 1 for anything else (a sink that cannot start, the cluster). Told by the error's code alone, never its
 * text: the sinks and the CLI's own env and file reading throw `ConfigError` (`WP_ERR_CONFIG_INVALID`), core's
 * option checks `InvalidArgumentError` (`WP_ERR_INVALID_ARG`).
 */
export function startFailureExitCode(error: unknown): 1 | 2 {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'WP_ERR_CONFIG_INVALID' || code === 'WP_ERR_INVALID_ARG' ? 2 : 1;
}

/**
 * Logs a runtime failure of the pipeline. Watch failures are already logged by the watcher with their resource
 * (`list/watch failed`), so only a 403 is repeated here, at error level with the fix, since it needs an operator.
 */
function reportError(logger: Logger, error: WatchProxyError): void {
  if (error.code === 'WP_ERR_WATCH_FORBIDDEN') {
    logger.error(
      { code: error.code, err: error.message },
      'forbidden: the service account may not list/watch this resource; grant list and watch on it (`watch-proxy rbac -c <config>` prints the rules)',
    );
  } else if (!error.code.startsWith('WP_ERR_WATCH_')) {
    logger.error({ code: error.code, err: describeError(error) }, 'pipeline error');
  }
}

/** Runs the daemon until it is stopped; resolves to the exit code. */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  // Fingerprinted before it is read: a change made while the daemon starts is then reloaded, not missed.
  const baseline = await hashConfigFile(options.config);
  const startupCheck = (config: WatchProxyConfig, ports: boolean) => checkStartup(config, { dryRun: options.dryRun, ports, env });
  const loaded = await loadConfigFile(options.config, { strict: options.strict, env, startupCheck: (config) => startupCheck(config, true) });
  if (!loaded.ok) {
    // Printed for people, in file order, like `validate`: the process is about to exit 2.
    const diagnostics = [...loaded.errors, ...loaded.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
    for (const diagnostic of diagnostics) stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    stderr.write(`watch-proxy: ${options.config} is invalid (${String(loaded.errors.length)} error(s)); nothing started\n`);
    return 2;
  }
  let kube: ReturnType<typeof loadKubeConfig>;
  let watchdogs: WatchdogBounds | undefined;
  try {
    kube = loadKubeConfig(options.kubeconfig, env as NodeJS.ProcessEnv);
    watchdogs = watchdogsFromEnv(env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`watch-proxy: ${error.message}\n`);
    return 2;
  }

  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  for (const note of options.notes ?? []) logger.warn({}, note);
  // Warnings of a config that runs go through the logger, so JSON log collectors see them as log lines.
  for (const warning of loaded.warnings) logger.warn({}, formatDiagnostic(warning));
  logger.info(
    { version, config: options.config, kubeconfig: kube.source, server: kube.server, dryRun: options.dryRun },
    'watch-proxy starting',
  );

  const ops = createOps({ logger, staleAfterMs: options.livenessStaleAfterMs, probeFile: !options.dryRun });
  try {
    await ops.apply(loaded.config);
  } catch (error) {
    // Checked before (checkStartup), but the port may have been taken since: still a config-shaped exit 2.
    const inUse = error instanceof OpsServerError && error.code !== 'path-conflict';
    logger.error({ err: describeError(error) }, 'cannot serve metrics and probes');
    return inUse ? 2 : 1;
  }

  // The daemon runs until told to stop. Its own handles cannot be relied on to keep Node alive: with no
  // resources and no ports nothing else is open, and while draining only unref'd retry timers may be left.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const leaderMetrics = createLeaderMetrics(ops.metrics.registry);
  const listMemory = createListMemoryRelease({ logger });
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  let finishing = false;
  let watcher: ConfigFileWatcher | undefined = undefined;

  const daemon = new Daemon({
    kubeConfig: kube.kubeConfig,
    logger,
    dryRun: options.dryRun,
    // A person at a terminal reads lines; a pipe or a file gets the payloads a receiver would.
    output: options.output ?? (process.stdout.isTTY ? 'text' : 'json'),
    env,
    watchdogs,
    onError: (error) => reportError(logger, error),
    wrapSink: (sink) => ops.wrapSink(sink),
    onPipeline: (proxy) => {
      ops.bind(proxy);
      listMemory.bind(proxy);
    },
    onElection: (election) => leaderMetrics.bind(election?.gate),
    onFatal: (error) => {
      logger.error({ err: describeError(error) }, 'the pipeline failed to start');
      void finish(1);
    },
  });
  createStateStoreMetrics(ops.metrics.registry, () => daemon.stateStoreUsage());

  // Set when stdout's reader went away (`--dry-run | head`): what could not be printed is not a failure.
  let stdoutClosed = false;
  const finish = async (code: number): Promise<void> => {
    if (finishing) return;
    finishing = true;
    watcher?.close();
    const report = await daemon.stop().catch((error: unknown) => {
      logger.error({ err: describeError(error) }, 'shutdown failed');
      return undefined;
    });
    listMemory.close();
    await ops.close();
    resolveExit(code === 0 && !stdoutClosed && reportFailed(report) ? 1 : code);
  };

  // Payloads may go to stdout: when its reader closes, stop like `yes | head` does, instead of crashing on an
  // unhandled EPIPE or retrying into a pipe nobody reads. Other stdout errors surface as the sink's retries.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE' || stdoutClosed) return;
    stdoutClosed = true;
    logger.info({}, 'stdout was closed by its reader: stopping');
    daemon.destroy();
    void finish(0);
  };
  process.stdout.on('error', onStdoutError);

  const reloader = createReloader({
    configPath: options.config,
    strict: options.strict,
    env,
    // The daemon holds its own ports: a reload cannot check them by listening (ops.apply reports a clash).
    startupCheck: (config) => startupCheck(config, false),
    logger,
    apply: async (config, trigger) => {
      // SIGHUP swaps the pipeline even for an identical file, so TLS files and tokens it points to are re-read.
      const outcome = await daemon.reload(config, { force: trigger === 'SIGHUP' });
      if (outcome === 'applied') await ops.apply(config);
      return outcome;
    },
    onResult: (result) => {
      if (result !== 'unchanged') ops.metrics.countConfigReload(result);
    },
  });
  const unhook = handleSignals({
    stop: (signal) => {
      logger.info({ signal }, 'stopping: draining queues (send the signal again to exit at once)');
      void finish(0);
    },
    force: (signal) => {
      logger.warn({ signal }, 'second signal: aborting in-flight sends and exiting');
      daemon.destroy();
      resolveExit(1);
      // Backstop for "at once": should anything (a socket, a stuck close) still hold the event loop, end anyway.
      setTimeout(() => process.exit(1), 2000).unref();
    },
    reload: () => void reloader.request('SIGHUP'),
  });

  // Beside the start, not before it: a missing rule is named with its YAML, and the daemon runs with what it has.
  void reportMissingAccess({
    config: loaded.config,
    kubeConfig: kube.kubeConfig,
    daemonNamespace: daemonNamespace(undefined, kube.kubeConfig, env),
    dryRun: options.dryRun,
    logger,
  });
  try {
    await daemon.start(loaded.config);
  } catch (error) {
    unhook();
    await daemon.stop();
    listMemory.close();
    await ops.close();
    clearInterval(keepAlive);
    process.stdout.off('error', onStdoutError);
    const message = describeError(error);
    if (startFailureExitCode(error) === 2) {
      stderr.write(`watch-proxy: ${options.config}: ${message}\n`);
      return 2;
    }
    logger.error({ err: message }, 'cannot start');
    return 1;
  }
  watcher = await watchConfigFile(options.config, { logger, baseline, onChange: () => void reloader.request('file-change') });
  if (finishing) watcher.close();

  const code = await exited;
  clearInterval(keepAlive);
  process.stdout.off('error', onStdoutError);
  unhook();
  logger.info({ exitCode: code }, 'exiting');
  return code;
}
