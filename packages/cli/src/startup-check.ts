/**
 * What the daemon would refuse at startup beyond the file's shape, checked the way the daemon does it: each
 * endpoint's sink is built with the daemon's own function (env vars, header values after expansion, TLS and
 * token files, URL rules), `stateDir` must be a writable folder, the metrics and probe ports free, and
 * payloads go to stdout only when that was asked for. `validate`, the daemon's start and hot reload all run
 * it (through `loadConfigFile`'s `startupCheck`), so `validate` passes exactly the files the daemon starts with.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';

import { ConfigError, silentLogger } from '@watch-proxy/core';

import type { ConfigEnv, WatchProxyConfig } from './config/index.js';
import type { ConfigFinding } from './config/check-config.js';
import { loadBrokerSinks } from './broker-sinks.js';
import { createEndpointSink } from './watch-proxy-options.js';

/** Options of {@link checkStartup}. */
export interface StartupCheckOptions {
  /** `--dry-run`: payloads go to stdout, `stateDir` is not used. */
  readonly dryRun: boolean;
  /**
   * Check what lies outside the file: sinks can be built from the environment, `stateDir`. Default `true`;
   * `validate --no-env-check` turns it off (a file meant for another machine).
   */
  readonly environment?: boolean | undefined;
  /** Check that `prometheusMetrics.port` and `httpLiveness.port` are free. Off on reload: the daemon holds them. */
  readonly ports: boolean;
  /** Where credentials are read. Default `process.env`. */
  readonly env?: ConfigEnv | undefined;
}

type Path = readonly (string | number)[];

/** Options of the sinks that are keys of an endpoint in the file, under the same name (`timeoutMs` is `timeout`). */
const ENDPOINT_KEY =
  /^(?:url|tls\.(?:caFile|certFile|keyFile)|tls|bearerTokenFile|usernameVar|passwordVar|bearerTokenVar|signingSecretVar|sasl\.(?:usernameVar|passwordVar|passwordFile)|tokenVar|timeoutMs|successStatusCodes|compression|format|type)$/;

/**
 * Where in an endpoint a sink creation error belongs, from the `option` of its `ConfigError` (never from message
 * text), and what to say there. An option that is no key of the file (an env var such as `HTTPS_PROXY`) points
 * at the endpoint itself, with the whole message.
 */
function endpointPath(error: unknown): { path: Path; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ConfigError)) return { path: [], message };
  if (error.option.startsWith('headers.')) return { path: ['headers', error.option.slice('headers.'.length)], message: error.reason };
  if (!ENDPOINT_KEY.test(error.option)) return { path: [], message };
  return { path: error.option === 'timeoutMs' ? ['timeout'] : error.option.split('.'), message: error.reason };
}

/** Builds (and closes at once) every endpoint's sink, as the daemon would; a refusal becomes a finding. */
async function checkSinks(config: WatchProxyConfig, env: ConfigEnv): Promise<ConfigFinding[]> {
  const findings: ConfigFinding[] = [];
  await loadBrokerSinks(config.remoteEndpoints);
  for (const [i, endpoint] of config.remoteEndpoints.entries()) {
    try {
      const sink = createEndpointSink(endpoint, config, { env, logger: silentLogger });
      await sink.close?.({ signal: new AbortController().signal, logger: silentLogger });
    } catch (error) {
      // Sink messages name the option and variable or path, never a value (the sink's own rule).
      const { path, message } = endpointPath(error);
      findings.push({ severity: 'error', path: ['remoteEndpoints', i, ...path], message });
    }
  }
  return findings;
}

/** Why `stateDir` cannot hold the caches, or undefined when it can (it is created if missing). */
function stateDirProblem(dir: string): string | undefined {
  let existing = resolve(dir);
  for (;;) {
    try {
      const stats = statSync(existing);
      if (!stats.isDirectory()) return existing === resolve(dir) ? 'is a file, not a folder' : `cannot be created: ${existing} is a file`;
      accessSync(existing, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        return existing === resolve(dir) ? 'is not writable by this process' : `cannot be created: ${existing} is not writable by this process`;
      }
      // ENOTDIR: a parent is a file; walking up finds it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot be used (${typeof code === 'string' ? code : 'error'})`;
      const parent = dirname(existing);
      if (parent === existing) return 'cannot be created';
      existing = parent;
    }
  }
}

/** Why `port` cannot be listened on (all interfaces, as the ops server does), or undefined. */
function portProblem(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      done(
        error.code === 'EADDRINUSE'
          ? `port ${String(port)} is already in use`
          : error.code === 'EACCES'
            ? `port ${String(port)} needs privileges this process does not have`
            : `cannot listen on port ${String(port)} (${error.code ?? 'error'})`,
      );
    });
    server.listen({ port, exclusive: true }, () => server.close(() => done(undefined)));
  });
}

/**
 * Everything the daemon would refuse to start with that the file's shape does not show. Findings carry key
 * paths; `loadConfigFile` turns them into `file:line:col` lines, and any finding makes the daemon exit 2.
 */
export async function checkStartup(config: WatchProxyConfig, options: StartupCheckOptions): Promise<ConfigFinding[]> {
  const findings: ConfigFinding[] = [];
  const error = (path: Path, message: string): void => {
    findings.push({ severity: 'error', path, message });
  };
  if (!options.dryRun && config.resources.length > 0 && config.remoteEndpoints.length === 0) {
    // Printing objects (ConfigMap data, with includeSecretData Secret values) into a pod log must be asked for.
    error(
      ['remoteEndpoints'],
      'no endpoint is configured, so nothing would be delivered: add one, or run with --dry-run to print the payloads (whole objects) to stdout',
    );
  }
  if (options.environment !== false) {
    findings.push(...(await checkSinks(config, options.env ?? process.env)));
    if (!options.dryRun && config.stateDir !== undefined) {
      const problem = stateDirProblem(config.stateDir);
      if (problem !== undefined) error(['stateDir'], `${config.stateDir} ${problem}`);
    }
  }
  if (options.ports) {
    const metrics = config.prometheusMetrics?.port;
    const liveness = config.httpLiveness?.port;
    if (metrics !== undefined && metrics !== 0) {
      const problem = await portProblem(metrics);
      if (problem !== undefined) error(['prometheusMetrics', 'port'], problem);
    }
    if (liveness !== undefined && liveness !== 0 && liveness !== metrics) {
      const problem = await portProblem(liveness);
      if (problem !== undefined) error(['httpLiveness', 'port'], problem);
    }
  }
  return findings;
}
