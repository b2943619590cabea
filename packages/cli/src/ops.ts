/**
 * The daemon's metrics and probes across reloads: one registry for the process lifetime (counters carry on when
 * a reload replaces the pipeline), re-bound to each new pipeline, and a server re-opened only when
 * `prometheusMetrics` or `httpLiveness` changed.
 */
import type { Logger, Sink, WatchProxy } from '@watch-proxy/core';
import { Registry } from 'prom-client';

import type { ListenerConfig, WatchProxyConfig } from './config/index.js';
import { describeError } from './describe-error.js';
import { bindWatchProxy, createMetrics, createOpsServer, livenessOf, probeInputOf, readinessOf, startProbeFile, timedSink } from './serve/index.js';
import type { OpsServer, ProbeFile, ProbeResult, WatchProxyMetrics } from './serve/index.js';
import { version } from './version.js';

/** Options of {@link createOps}. */
export interface OpsOptions {
  readonly logger: Logger;
  /** `/live` fails once a watch has been down this long, in ms. Default: each watcher's own bound (5 min). */
  readonly staleAfterMs?: number | undefined;
  /** Interface the server binds. Default: all (kubelet and Prometheus connect from outside the pod). */
  readonly host?: string | undefined;
  /**
   * Keep the original's exec-probe file `<stateDir>/healthy` while live (when the config sets `stateDir`).
   * Default: true; false under `--dry-run`, which never touches a real run's state folder.
   */
  readonly probeFile?: boolean | undefined;
  /** How often the probe file is refreshed, ms. Default: `PROBE_FILE_INTERVAL_MS` (10 s, the original's). */
  readonly probeFileIntervalMs?: number | undefined;
}

/** Metrics and probes of the running daemon. */
export interface Ops {
  readonly metrics: WatchProxyMetrics;
  /** Points metrics and probes at `proxy` (undefined: no pipeline, the config lists no resources). */
  bind(proxy: WatchProxy | undefined): void;
  /** Times every send of `sink` for the latency histogram. */
  wrapSink(sink: Sink): Sink;
  /** Serves what `config` asks for, re-opening the server when the listeners changed. Throws at the first call only. */
  apply(config: WatchProxyConfig): Promise<void>;
  /** Stops serving. */
  close(): Promise<void>;
}

const OK: ProbeResult = { ok: true, reason: '' };

function sameListener(a: ListenerConfig | undefined, b: ListenerConfig | undefined): boolean {
  return a?.port === b?.port && a?.path === b?.path;
}

/** Creates the registry and metrics; nothing listens until `apply`. */
export function createOps(options: OpsOptions): Ops {
  const { logger } = options;
  const metrics = createMetrics({ registry: new Registry(), version });
  let proxy: WatchProxy | undefined;
  let unbind: (() => void) | undefined;
  let server: OpsServer | undefined;
  let served: { metrics: ListenerConfig | undefined; liveness: ListenerConfig | undefined } | undefined;
  let probeFile: ProbeFile | undefined;
  let probeDir: string | undefined;
  /** The running config's `clusterReadiness`, followed across reloads. */
  let clusterReadiness: 'all' | 'any' = 'all';
  // Without a pipeline (no resources) there is nothing that could be stuck or unsynced.
  const isLive = (): ProbeResult => (proxy === undefined ? OK : livenessOf(probeInputOf(proxy), { staleAfterMs: options.staleAfterMs }));

  /** Follows `stateDir` across reloads: the file lives in the folder the config names now. */
  const applyProbeFile = async (config: WatchProxyConfig): Promise<void> => {
    const dir = options.probeFile === false ? undefined : config.stateDir;
    if (dir === probeDir) return;
    await probeFile?.stop();
    probeDir = dir;
    probeFile = dir === undefined ? undefined : startProbeFile({ dir, isLive, logger, intervalMs: options.probeFileIntervalMs });
  };

  const open = async (config: WatchProxyConfig): Promise<void> => {
    server = await createOpsServer({
      metrics: config.prometheusMetrics,
      liveness: config.httpLiveness,
      registry: metrics.registry,
      isLive,
      isReady: () => (proxy === undefined ? OK : readinessOf(probeInputOf(proxy), { clusters: clusterReadiness })),
      logger,
      host: options.host,
    });
    served = { metrics: config.prometheusMetrics, liveness: config.httpLiveness };
    if (server.addresses.length > 0) {
      logger.info(
        { metricsPort: server.metricsPort ?? null, livenessPort: server.livenessPort ?? null, addresses: server.addresses },
        'serving metrics and probes',
      );
    }
  };

  return {
    metrics,
    bind(next) {
      unbind?.();
      unbind = next === undefined ? undefined : bindWatchProxy(metrics, next);
      proxy = next;
    },
    wrapSink: (sink) => timedSink(sink, metrics),
    async apply(config) {
      clusterReadiness = config.clusterReadiness;
      await applyProbeFile(config);
      if (served === undefined) return open(config);
      if (sameListener(served.metrics, config.prometheusMetrics) && sameListener(served.liveness, config.httpLiveness)) return;
      await server?.close();
      server = undefined;
      try {
        await open(config);
      } catch (error) {
        // The pipeline runs on; only the endpoints are missing. Logged so the operator fixes the port.
        served = { metrics: config.prometheusMetrics, liveness: config.httpLiveness };
        logger.error({ err: describeError(error) }, 'cannot serve metrics and probes with the reloaded config');
      }
    },
    async close() {
      unbind?.();
      await probeFile?.stop();
      await server?.close();
    },
  };
}
