/**
 * The one explicit mapping from the loaded config to core's `WatchProxyOptions` and the sinks: every key that
 * reaches the pipeline passes through here, so a new config key has one place to be wired.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterOptions, Logger, ResourceOptions, Sink, SinkOptions, WatchProxyError, WatchProxyOptions } from '@watch-proxy/core';
import type { WatchdogBounds } from '@watch-proxy/core/watch';
import type { DeliveryGate } from '@watch-proxy/core/leader';
import type { SharedCacheStore } from '@watch-proxy/core/cache';
import { createHttpSink } from '@watch-proxy/http-sink';

import { createKafkaEndpointSink, createNatsEndpointSink } from './broker-sinks.js';
import { resolveEndpointSecrets } from './config/index.js';
import type { ClusterConfig, ConfigEnv, RemoteEndpointConfig, ResourceConfig, WatchProxyConfig } from './config/index.js';
import { loadClusterKubeConfig } from './cluster-kube-config.js';
import { withFormerNames } from './former-endpoint-names.js';
import type { ChangePrinter, OutputFormat } from './change-lines.js';
import { createStdoutSink } from './stdout-sink.js';

/** What the daemon adds to a config to run it. */
export interface RuntimeOptions {
  readonly kubeConfig: KubeConfig;
  /** Where emit caches persist: the config's `stateDir`, or the daemon's private folder. `undefined`: memory only. */
  readonly stateDir: string | undefined;
  readonly logger: Logger;
  readonly onError?: ((error: WatchProxyError) => void) | undefined;
  /** `--dry-run`: one stdout sink replaces every endpoint. */
  readonly dryRun: boolean;
  /** Where endpoint credentials and header templates are read. Default `process.env`. */
  readonly env?: ConfigEnv | undefined;
  /** Where the stdout sink prints. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream | undefined;
  /** What the stdout sink prints: `json` payloads (default) or `text` lines. */
  readonly output?: OutputFormat | undefined;
  /** For `text`: the printer that remembers printed states, kept across reloads. Default: one per sink. */
  readonly changePrinter?: ChangePrinter | undefined;
  /** Wraps every sink (metrics timing); default: none. */
  readonly wrapSink?: ((sink: Sink) => Sink) | undefined;
  /** `leaderElection`: deliver only while this replica holds the lease. Default: always deliver. */
  readonly gate?: DeliveryGate | undefined;
  /** `leaderElection`: where the leader shares its emit caches. */
  readonly sharedCache?: SharedCacheStore | undefined;
  /** Since when (epoch ms) the process has been watching each resource, across reloads; see core's option. */
  readonly watchedSince?: ReadonlyMap<string, number> | undefined;
  /** The watchers' watchdog bounds (`WATCH_PROXY_TEST_WATCHDOGS`, for tests). Default: core's. */
  readonly watchdogs?: WatchdogBounds | undefined;
  /** Cluster access of one `clusters[]` entry. Default: `loadClusterKubeConfig` with `kubeConfig` as the daemon's own. */
  readonly clusterKubeConfig?: ((cluster: ClusterConfig) => KubeConfig) | undefined;
}

/** One `clusters[]` entry as core's `ClusterOptions`: its name, access and metadata. Throws when its kubeconfig cannot be loaded. */
export function toClusterOptions(cluster: ClusterConfig, runtime: Pick<RuntimeOptions, 'kubeConfig' | 'clusterKubeConfig'>): ClusterOptions {
  const kubeConfig = runtime.clusterKubeConfig?.(cluster) ?? loadClusterKubeConfig(cluster, runtime.kubeConfig);
  return { name: cluster.name, kubeConfig, metadata: cluster.metadata, clusterUid: cluster.clusterUid };
}

/** Maps one `resources[]` entry; `forceReuploadDuration` is global in the file and per resource in core. */
export function toResourceOptions(resource: ResourceConfig, config: WatchProxyConfig): ResourceOptions {
  return {
    name: resource.name,
    assetId: resource.assetId,
    pruneFields: resource.pruneFields,
    filterEvents: resource.filterEvents,
    includeSecretData: resource.includeSecretData,
    includeManagedFields: resource.includeManagedFields,
    resyncMs: config.forceReuploadDurationMs,
    reconcileMs: config.reconcileIntervalMs,
    streamingList: config.streamingList,
    labelSelector: resource.labelSelector,
    fieldSelector: resource.fieldSelector,
    namespaces: resource.namespaces,
    filter: resource.filter,
  };
}

/** What an endpoint's entry says about which objects reach it and in what form: routing and CEL rules. */
export function endpointSelection(endpoint: RemoteEndpointConfig): Omit<SinkOptions, 'sink'> {
  return {
    namespaces: endpoint.namespaces,
    resourceTypes: endpoint.resourceTypes,
    filter: endpoint.filter,
    updateFilter: endpoint.updateFilter,
    transform: endpoint.transform,
    clusters: endpoint.clusters,
  };
}

/**
 * Builds one endpoint's sink. Credentials are read from the environment here and handed to the sink only: the
 * config object (which is logged and diffed) holds variable names, never values. Throws when a variable is
 * unset or an option is rejected by the sink. `checkStartup` calls it too, so `validate` refuses what this refuses.
 * A Kafka or NATS endpoint needs `loadBrokerSinks` to have resolved first.
 */
export function createEndpointSink(
  endpoint: RemoteEndpointConfig,
  config: WatchProxyConfig,
  runtime: Pick<RuntimeOptions, 'env' | 'logger'>,
): Sink {
  const env = runtime.env ?? process.env;
  const context = { env, clusterName: config.clusterName, logger: runtime.logger };
  if (endpoint.type === 'kafka') return createKafkaEndpointSink(endpoint, context);
  if (endpoint.type === 'nats') return createNatsEndpointSink(endpoint, context);
  const { headers } = resolveEndpointSecrets(endpoint, env);
  return createHttpSink({
    name: endpoint.name,
    url: endpoint.url,
    type: endpoint.type,
    format: endpoint.format,
    clusterName: config.clusterName,
    metadata: config.metadata,
    usernameVar: endpoint.usernameVar,
    passwordVar: endpoint.passwordVar,
    bearerTokenVar: endpoint.bearerTokenVar,
    bearerTokenFile: endpoint.bearerTokenFile,
    signingSecretVar: endpoint.signingSecretVar,
    headers,
    tls: endpoint.tls,
    timeoutMs: endpoint.timeoutMs,
    successStatusCodes: endpoint.successStatusCodes,
    compression: endpoint.compression,
    env,
    logger: runtime.logger,
  });
}

/** The sinks with their routing filters: every endpoint, or one stdout sink (dry run, or no endpoints). */
export function toSinkOptions(config: WatchProxyConfig, runtime: RuntimeOptions): SinkOptions[] {
  const wrap = runtime.wrapSink ?? ((sink: Sink): Sink => sink);
  if (runtime.dryRun || config.remoteEndpoints.length === 0) {
    const sink = createStdoutSink({
      clusterName: config.clusterName,
      metadata: config.metadata,
      stream: runtime.stdout,
      format: runtime.output,
      printer: runtime.changePrinter,
    });
    return [{ sink: wrap(sink) }];
  }
  return config.remoteEndpoints.map((endpoint) => ({
    sink: wrap(createEndpointSink(endpoint, config, runtime)),
    ...endpointSelection(endpoint),
    // Only the HTTP sink writes patches; a broker endpoint always carries whole objects.
    deltaUpdates: endpoint.type === 'http' || endpoint.type === 'vro' ? endpoint.deltaUpdates : false,
  }));
}

/**
 * Maps a loaded config to core's options. Durations are already milliseconds in the config. The config must
 * list at least one resource (core refuses none; the daemon idles instead of calling this).
 */
export function toWatchProxyOptions(config: WatchProxyConfig, runtime: RuntimeOptions): WatchProxyOptions {
  return {
    resources: config.resources.map((resource) => toResourceOptions(resource, config)),
    sinks: toSinkOptions(config, runtime),
    // Several clusters replace the daemon's own (and clusterName, which the config refuses beside them).
    ...(config.clusters === undefined
      ? { kubeConfig: runtime.kubeConfig, clusterName: config.clusterName }
      : { clusters: config.clusters.map((cluster) => toClusterOptions(cluster, runtime)) }),
    clusterUid: config.clusterUid,
    ignoreNamespaces: config.ignoreNamespaces,
    delayAddEventMs: config.delayAddEventDurationMs,
    watchedSince: runtime.watchedSince,
    emitIntervalMs: config.emitIntervalMs,
    emitBatchMaxObjects: config.emitBatchMaxObjects,
    emitBatchMaxBytes: config.emitBatchMaxBytes,
    emitCacheDurationMs: config.emitCacheDurationMs,
    cancelAddDelete: !config.originalContent,
    stateDir: runtime.stateDir,
    rejectedRetryIntervalMs: config.rejectedRetryIntervalMs,
    shutdownTimeoutMs: config.shutdownGracePeriodMs,
    watchdogs: runtime.watchdogs,
    gate: runtime.gate,
    sharedCache: runtime.sharedCache === undefined ? undefined : withFormerNames(runtime.sharedCache, config.remoteEndpoints),
    logger: runtime.logger,
    onError: runtime.onError,
  };
}
