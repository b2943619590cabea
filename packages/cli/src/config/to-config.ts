/**
 * Turns the parsed file into the normalized config the daemon runs on. Keys pass through as the schema outputs
 * them (its types are the config's types, see `types.ts`); only what normalization changes is written here:
 * durations renamed with their unit (`timeout` -> `timeoutMs`), default endpoint names, defaults that depend on
 * other keys, and the original's 0-means-default. An absent optional value stays `undefined`, as in the schema's
 * output and in core's options.
 */
import { createHash } from 'node:crypto';

import { defaultKafkaEndpointName, defaultNatsEndpointName, toKafkaEndpoint, toNatsEndpoint } from './broker-endpoint-config.js';
import type { ConfigFile } from './schema.js';

/** The original's default for `emitBatchMaxObjects`, whose 0 means "use the default". */
const DEFAULT_EMIT_BATCH_MAX_OBJECTS = 10;

type EndpointFile = ConfigFile['remoteEndpoints'][number];
type HttpEndpointFile = Extract<EndpointFile, { type: 'http' | 'vro' }>;
type ListenerFile = NonNullable<ConfigFile['prometheusMetrics']>;

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

/** A listener, or `undefined` when its port is unset (`""` or absent disables it). */
function listenerConfig(value: ListenerFile | undefined): { port: number; path: string } | undefined {
  return value?.port === undefined ? undefined : { port: value.port, path: value.path };
}

/**
 * Normalizes a `type: http` or `vro` entry. `name` is its final (unique) name; `formerName` is, for a
 * default-named endpoint, the name earlier versions gave it (persisted state under it is taken over once).
 */
function toHttpEndpoint(file: HttpEndpointFile, name: string, formerName: string | undefined, deltaUpdates: boolean) {
  const { timeout, tls, ...keys } = file;
  return {
    ...keys,
    name,
    formerName,
    /** Updates as JSON Patches from the state last delivered to this endpoint; default: the top-level key. */
    deltaUpdates: file.deltaUpdates ?? deltaUpdates,
    /** Per-attempt request timeout in milliseconds. */
    timeoutMs: timeout,
    tls: tls ?? { insecureSkipVerify: false },
  };
}

/** Normalizes a parsed (and checked) config file. Pure; the result is frozen by the loader. */
export function toConfig(file: ConfigFile) {
  const {
    version: _version,
    emitInterval,
    emitBatchMaxObjects,
    emitCacheDuration,
    forceReuploadDuration,
    reconcileInterval,
    delayAddEventDuration,
    rejectedRetryInterval,
    shutdownGracePeriod,
    leaderElection: election,
    stateStore: store,
    prometheusMetrics,
    httpLiveness,
    remoteEndpoints: endpoints,
    resources: resourceFiles,
    ...keys
  } = file;
  const explicit = endpoints.flatMap((e) => (e.name === undefined ? [] : [e.name]));
  const used = new Set(explicit);
  // The former names are given out in the same order and with the same suffixes as before, so each endpoint
  // finds the state it had.
  const usedFormer = new Set(explicit);
  const remoteEndpoints = endpoints.map((e) => {
    if (e.type === 'kafka') return toKafkaEndpoint(e, e.name ?? unique(defaultKafkaEndpointName(e), used));
    if (e.type === 'nats') return toNatsEndpoint(e, e.name ?? unique(defaultNatsEndpointName(e), used));
    // Stable across reordering (unlike `http:0`), so reloads keep each endpoint's emit cache.
    const name = e.name ?? unique(defaultEndpointName(e.url), used);
    return toHttpEndpoint(e, name, e.name === undefined ? unique(formerDefaultName(e.url), usedFormer) : undefined, file.deltaUpdates);
  });
  const resources = resourceFiles.map((r) => ({
    ...r,
    filterEvents: [...new Set(r.filterEvents)],
    includeSecretData: r.includeSecretData ?? file.originalContent,
    includeManagedFields: r.includeManagedFields ?? file.originalContent,
  }));
  const elected = election?.enabled === true ? election : undefined;
  return {
    ...keys,
    /**
     * At most one batch per endpoint per this many milliseconds. `undefined` (the key absent, empty or 0, which
     * meant "the default" in the original): core's adaptive batching.
     */
    emitIntervalMs: emitInterval === 0 ? undefined : emitInterval,
    /** At most this many objects per batch; the file's 0 means the original's default, 10. */
    emitBatchMaxObjects: emitBatchMaxObjects === 0 ? DEFAULT_EMIT_BATCH_MAX_OBJECTS : emitBatchMaxObjects,
    emitCacheDurationMs: emitCacheDuration,
    forceReuploadDurationMs: forceReuploadDuration,
    reconcileIntervalMs: reconcileInterval,
    delayAddEventDurationMs: delayAddEventDuration,
    rejectedRetryIntervalMs: rejectedRetryInterval,
    shutdownGracePeriodMs: shutdownGracePeriod,
    remoteEndpoints,
    resources,
    /** Leader election for 2+ replicas; `undefined` unless `leaderElection.enabled` (every replica delivers). */
    leaderElection:
      elected === undefined
        ? undefined
        : {
            leaseName: elected.leaseName,
            namespace: elected.namespace,
            leaseDurationMs: elected.leaseDuration,
            renewDeadlineMs: elected.renewDeadline,
            retryPeriodMs: elected.retryPeriod,
          },
    /** The in-cluster store of the emit caches; `undefined` (default): disk only (with leaderElection, its own store). */
    stateStore:
      store?.type === 'cluster'
        ? { name: store.name ?? elected?.leaseName ?? 'watch-proxy', namespace: store.namespace ?? elected?.namespace }
        : undefined,
    prometheusMetrics: listenerConfig(prometheusMetrics),
    httpLiveness: listenerConfig(httpLiveness),
  };
}
