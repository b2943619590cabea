/** Turns the parsed file into the normalized `WatchProxyConfig`: the one explicit mapping from YAML keys to options. */
import { createHash } from 'node:crypto';
import type { ConfigFile } from './schema.js';
import { toEndpointRules } from './endpoint-rules-config.js';
import { defaultKafkaEndpointName, defaultNatsEndpointName, toKafkaEndpoint, toNatsEndpoint } from './broker-endpoint-config.js';
import type { EndpointConfig, ListenerConfig, RemoteEndpointConfig, ResourceConfig, WatchProxyConfig } from './types.js';

/** The original's default for `emitBatchMaxObjects`, whose 0 means "use the default". */
const DEFAULT_EMIT_BATCH_MAX_OBJECTS = 10;

/**
 * An endpoint's default name: its host (and port) and the first 8 hex digits of the SHA-256 of the whole URL, e.g.
 * `hooks.example.com-5d41402a`. Nothing of the path, query or credentials, which may hold a token: the name is a
 * label on the unauthenticated `/metrics`, in logs and in state file names. The hash tells endpoints on one host
 * apart and stays the same as long as the URL does.
 */
export function defaultEndpointName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}-${createHash('sha256').update(parsed.href).digest('hex').slice(0, 8)}`;
}

/** The default name before it left out the path (`https://host/path`): whose persisted state is taken over once. */
function formerDefaultName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** `base`, or `base#2`, `base#3`... : the first not in `used`, which it is added to. */
function unique(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}#${String(n)}`;
  used.add(name);
  return name;
}

function listenerConfig(value: ConfigFile['prometheusMetrics']): ListenerConfig | null {
  return value?.port === undefined ? null : { port: value.port, path: value.path };
}

/** Normalizes a parsed (and checked) config file. Pure; the result is frozen by the loader. */
export function toConfig(file: ConfigFile): WatchProxyConfig {
  const explicit = file.remoteEndpoints.flatMap((e) => (e.name === undefined ? [] : [e.name]));
  const used = new Set(explicit);
  // The former names are given out in the same order and with the same suffixes as before, so each endpoint
  // finds the state it had.
  const usedFormer = new Set(explicit);
  const remoteEndpoints = file.remoteEndpoints.map((e): RemoteEndpointConfig => {
    if (e.type === 'kafka') return toKafkaEndpoint(e, e.name ?? unique(defaultKafkaEndpointName(e), used));
    if (e.type === 'nats') return toNatsEndpoint(e, e.name ?? unique(defaultNatsEndpointName(e), used));
    // Stable across reordering (unlike `http:0`), so reloads keep each endpoint's emit cache.
    const name = e.name ?? unique(defaultEndpointName(e.url), used);
    const formerName = e.name === undefined ? unique(formerDefaultName(e.url), usedFormer) : null;
    const http: EndpointConfig = {
      name,
      formerName,
      type: e.type,
      url: e.url,
      format: e.format,
      usernameVar: e.usernameVar ?? null,
      passwordVar: e.passwordVar ?? null,
      bearerTokenVar: e.bearerTokenVar ?? null,
      bearerTokenFile: e.bearerTokenFile ?? null,
      signingSecretVar: e.signingSecretVar ?? null,
      headers: e.headers,
      tls: {
        caFile: e.tls?.caFile ?? null,
        certFile: e.tls?.certFile ?? null,
        keyFile: e.tls?.keyFile ?? null,
        insecureSkipVerify: e.tls?.insecureSkipVerify ?? false,
      },
      timeoutMs: e.timeout,
      successStatusCodes: e.successStatusCodes ?? null,
      compression: e.compression,
      namespaces: e.namespaces,
      resourceTypes: e.resourceTypes,
      region: e.region ?? null,
      ...toEndpointRules(e),
    };
    return http;
  });
  const resources = file.resources.map(
    (r): ResourceConfig => ({
      name: r.name,
      assetId: r.assetId,
      pruneFields: r.pruneFields,
      filterEvents: [...new Set(r.filterEvents)],
      labelSelector: r.labelSelector ?? null,
      fieldSelector: r.fieldSelector ?? null,
      namespaces: r.namespaces ?? null,
      includeSecretData: r.includeSecretData ?? file.originalContent,
      includeManagedFields: r.includeManagedFields ?? file.originalContent,
      filter: r.filter ?? null,
    }),
  );
  return {
    clusterName: file.clusterName,
    // 0 (also what an absent or empty key parses to) meant "the default" in the original: now the adaptive batching.
    emitIntervalMs: file.emitInterval === 0 ? undefined : file.emitInterval,
    emitBatchMaxObjects: file.emitBatchMaxObjects === 0 ? DEFAULT_EMIT_BATCH_MAX_OBJECTS : file.emitBatchMaxObjects,
    emitBatchMaxBytes: file.emitBatchMaxBytes,
    emitCacheDurationMs: file.emitCacheDuration,
    forceReuploadDurationMs: file.forceReuploadDuration,
    delayAddEventDurationMs: file.delayAddEventDuration,
    rejectedRetryIntervalMs: file.rejectedRetryInterval,
    shutdownGracePeriodMs: file.shutdownGracePeriod,
    deltaUpdates: file.deltaUpdates,
    originalContent: file.originalContent,
    stateDir: file.stateDir ?? null,
    metadata: file.metadata ?? null,
    ignoreNamespaces: file.ignoreNamespaces,
    remoteEndpoints,
    resources,
    leaderElection:
      file.leaderElection?.enabled === true
        ? {
            leaseName: file.leaderElection.leaseName,
            namespace: file.leaderElection.namespace ?? null,
            leaseDurationMs: file.leaderElection.leaseDuration,
            renewDeadlineMs: file.leaderElection.renewDeadline,
            retryPeriodMs: file.leaderElection.retryPeriod,
          }
        : null,
    stateStore:
      file.stateStore?.type === 'cluster'
        ? {
            name: file.stateStore.name ?? (file.leaderElection?.enabled === true ? file.leaderElection.leaseName : 'watch-proxy'),
            namespace: file.stateStore.namespace ?? (file.leaderElection?.enabled === true ? (file.leaderElection.namespace ?? null) : null),
          }
        : null,
    prometheusMetrics: listenerConfig(file.prometheusMetrics),
    httpLiveness: listenerConfig(file.httpLiveness),
  };
}
