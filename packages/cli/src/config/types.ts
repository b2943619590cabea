/**
 * The normalized configuration the daemon runs on: every default applied, every duration in milliseconds, every
 * optional value either present or `null`. Produced only by the loader, deep-frozen, and free of secrets (the
 * values of the environment variables it names are read on demand with `resolveEndpointSecrets`).
 */
import type { KafkaEndpointConfig, NatsEndpointConfig } from './broker-endpoint-config.js';
import type { ConfigFinding } from './check-config.js';
import type { EndpointRulesConfig } from './endpoint-rules-config.js';

/** HTTP endpoint protocols. The original's `sqs` is rejected at load time (out of scope). */
export type EndpointType = 'http' | 'vro';

/** Body formats of an `http` endpoint: the original's bytes, or a batch of CloudEvents 1.0. */
export type EndpointFormat = 'watch-proxy' | 'cloudevents';

/** Request body compression. */
export type EndpointCompression = 'none' | 'gzip';

/** The event names `filterEvents` can drop. */
export type FilterEventName = 'add' | 'update' | 'delete';

/** A scalar `metadata` value, sent as-is in the payload's `meta`. */
export type MetadataScalar = string | number | boolean | null;

/** A `metadata` value: a scalar or a list of scalars (nested mappings are rejected, they broke the original). */
export type MetadataValue = MetadataScalar | readonly MetadataScalar[];

/** TLS settings of one endpoint. Paths are as written in the file (checked readable at load time). */
export interface EndpointTlsConfig {
  /** PEM bundle of CAs to trust instead of the system roots; `null` = system roots. */
  readonly caFile: string | null;
  /** PEM client certificate for mTLS; set together with `keyFile`, or neither. */
  readonly certFile: string | null;
  /** PEM private key of `certFile`. */
  readonly keyFile: string | null;
  /** Skip server certificate verification. Default `false`; a warning is reported when `true`. */
  readonly insecureSkipVerify: boolean;
}

/** One `remoteEndpoints[]` entry of `type: http` or `vro` (an HTTP receiver). */
export interface EndpointConfig extends EndpointRulesConfig {
  /**
   * Unique, stable name (logs, metrics, the per-endpoint emit cache). Default: the host and a short hash of the
   * URL (`echo1-5d41402a`, see `defaultEndpointName`), never its path, query or credentials, suffixed `#2`,
   * `#3`... when several endpoints share a URL.
   */
  readonly name: string;
  /**
   * For a default-named endpoint, the name earlier versions gave it (the URL without credentials or query):
   * persisted state found under it is taken over once. `null` for an explicit name, which never changed.
   */
  readonly formerName: string | null;
  /** Default `http`. */
  readonly type: EndpointType;
  /** The POST target: an absolute `http:` or `https:` URL. */
  readonly url: string;
  /** Default `watch-proxy` (the original's payload). Always `watch-proxy` for `vro`. */
  readonly format: EndpointFormat;
  /** Name of the env var holding the basic-auth username (original key); `null` = no basic auth. */
  readonly usernameVar: string | null;
  /** Name of the env var holding the basic-auth password (original key). */
  readonly passwordVar: string | null;
  /** Name of the env var holding a bearer token. Exclusive with `bearerTokenFile` and basic auth. */
  readonly bearerTokenVar: string | null;
  /** File holding a bearer token, re-read when it changes (projected service-account tokens rotate). */
  readonly bearerTokenFile: string | null;
  /** Name of the env var holding the HMAC-SHA256 request-signing secret; `null` = unsigned. */
  readonly signingSecretVar: string | null;
  /**
   * Extra request headers. Values are templates: `${VAR}` is replaced by the env var's value and `$$` by `$`;
   * expand them with `expandEnvTemplate` or `resolveEndpointSecrets` (kept unexpanded so no secret lives here).
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: EndpointTlsConfig;
  /** Per-attempt request timeout in milliseconds. Default 5000 (the original's 5 s client timeout). */
  readonly timeoutMs: number;
  /** Statuses that count as delivered; `null` (default) = any 2xx. `[200]` reproduces the original. */
  readonly successStatusCodes: readonly number[] | null;
  /** Default `none`. */
  readonly compression: EndpointCompression;
  /** Routing filter: only objects in these namespaces (a Namespace object by its own name); empty (default) = all. */
  readonly namespaces: readonly string[];
  /** Routing filter: only these resources (as in `resources[].name`, plural, or `plural.group`); empty (default) = all. */
  readonly resourceTypes: readonly string[];
  /** The original's sqs-only AWS region; accepted for compatibility, unused. */
  readonly region: string | null;
}

/** One `remoteEndpoints[]` entry, told apart by `type`: an HTTP receiver, a Kafka topic, or NATS JetStream. */
export type RemoteEndpointConfig = EndpointConfig | KafkaEndpointConfig | NatsEndpointConfig;

/** One `resources[]` entry: what to watch and how to shape its objects. */
export interface ResourceConfig {
  /** `pods`, `plural.group` (`certificates.cert-manager.io`) or `group/version/plural`; resolved by discovery. */
  readonly name: string;
  /** Copied to each payload entry's `asset_type_id`. Default `''`. */
  readonly assetId: string;
  /** Dot paths removed before fingerprinting and sending (`[*]` over arrays, `\.` for dotted keys). */
  readonly pruneFields: readonly string[];
  /** Events not sent for this resource. Default none. */
  readonly filterEvents: readonly FilterEventName[];
  /** Kubernetes label selector for list/watch; `null` = everything. */
  readonly labelSelector: string | null;
  /** Kubernetes field selector for list/watch; `null` = everything. */
  readonly fieldSelector: string | null;
  /** Watch only these namespaces (one watch each); `null` (default) = one cluster-wide watch. */
  readonly namespaces: readonly string[] | null;
  /**
   * Send Secret `data`/`stringData` values and the last-applied annotation instead of redacting them. Default
   * `false`, or `true` with `originalContent`.
   */
  readonly includeSecretData: boolean;
  /** Keep `metadata.managedFields`. Default `false` (dropped), or `true` with `originalContent`. */
  readonly includeManagedFields: boolean;
  /** CEL boolean over `object` deciding which objects are reported at all; `null` (default) = every object. */
  readonly filter: string | null;
}

/** An HTTP listener (metrics or liveness). */
export interface ListenerConfig {
  /** TCP port; 0 picks a free port. */
  readonly port: number;
  /** URL path, starting with `/`. */
  readonly path: string;
}

/** Leader election settings (`leaderElection`). Durations in ms; client-go's defaults 15 s / 10 s / 2 s. */
export interface LeaderElectionConfig {
  /** Name of the Lease, and prefix of the shared emit cache ConfigMaps. Default `watch-proxy`. */
  readonly leaseName: string;
  /** Namespace of the Lease and ConfigMaps; `null` = the daemon's own namespace. */
  readonly namespace: string | null;
  /** Default 15000. */
  readonly leaseDurationMs: number;
  /** Default 10000. */
  readonly renewDeadlineMs: number;
  /** Default 2000. */
  readonly retryPeriodMs: number;
}

/** The in-cluster emit cache store (`stateStore: {type: cluster}`, or implied by `leaderElection`). */
export interface StateStoreConfig {
  /** Prefix of the ConfigMap names `<name>-emit-cache-<n>`. Default: `leaderElection.leaseName`, else `watch-proxy`. */
  readonly name: string;
  /** Namespace of the ConfigMaps; `null` = `leaderElection.namespace`, else the daemon's own namespace. */
  readonly namespace: string | null;
}

/** The whole normalized configuration. */
export interface WatchProxyConfig {
  /** Prefix of every `uniqueId` and `meta.cluster` when non-empty. Default `''`. */
  readonly clusterName: string;
  /**
   * At most one batch per endpoint per this many milliseconds. `undefined` (the key absent, empty or 0, the
   * default): adaptive batching, see core's `emitIntervalMs` (an idle endpoint gets a change at once; under load a
   * partial batch waits 10 ms after the previous one started, a full one none).
   */
  readonly emitIntervalMs: number | undefined;
  /** At most this many objects per batch. Default 10. */
  readonly emitBatchMaxObjects: number;
  /** Batches are cut before exceeding this many bytes of JSON (a larger single object goes alone). Default 5 MiB (core's default). */
  readonly emitBatchMaxBytes: number;
  /** How long a delivered fingerprint suppresses re-sending an unchanged object, in ms; 0 (default) = forever. */
  readonly emitCacheDurationMs: number;
  /** Resync period in ms (replay the watch cache as updates); 0 (default) = never. */
  readonly forceReuploadDurationMs: number;
  /** Add events are discarded for this long after each watch starts, in ms; 0 (default) = no delay. */
  readonly delayAddEventDurationMs: number;
  /** How long a change an endpoint refused waits before it is sent again, in ms. Default 300000. */
  readonly rejectedRetryIntervalMs: number;
  /** How long shutdown may spend draining pending sends, in ms. Default 10000. */
  readonly shutdownGracePeriodMs: number;
  /** The original's dead option, accepted and ignored: every event carries the whole object. Default `false`. */
  readonly deltaUpdates: boolean;
  /**
   * Send what the original sent: the last-applied annotation and Secret data kept, managedFields kept (each
   * resource's own `includeSecretData`/`includeManagedFields` still wins), and an object created and deleted
   * before it was sent reaches the receivers as its add and its delete instead of nothing. Default `false`.
   */
  readonly originalContent: boolean;
  /** Folder for the persisted emit cache; `null` (default) = kept in memory only. */
  readonly stateDir: string | null;
  /** Sent as the payload's `meta` (plus `cluster`); `null` when absent. */
  readonly metadata: Readonly<Record<string, MetadataValue>> | null;
  /** Changes of objects in these namespaces (and of the Namespace objects themselves) are dropped. */
  readonly ignoreNamespaces: readonly string[];
  /** Where changes go; empty = the daemon prints them to stdout. */
  readonly remoteEndpoints: readonly RemoteEndpointConfig[];
  /** What to watch; empty = nothing. */
  readonly resources: readonly ResourceConfig[];
  /** Leader election for 2+ replicas; `null` when `leaderElection.enabled` is not true (every replica delivers). */
  readonly leaderElection: LeaderElectionConfig | null;
  /** The in-cluster store of the emit caches; `null` (default): disk only (with leaderElection, its own store). */
  readonly stateStore: StateStoreConfig | null;
  /** Prometheus endpoint; `null` when `prometheusMetrics.port` is unset. Path default `/metrics`. */
  readonly prometheusMetrics: ListenerConfig | null;
  /** Liveness endpoint; `null` when `httpLiveness.port` is unset. Path default `/live`. */
  readonly httpLiveness: ListenerConfig | null;
}

/** How bad a diagnostic is: errors reject the file, warnings are reported and the file is used. */
export type ConfigSeverity = 'error' | 'warning';

/** One problem found in a config file, located in it. */
export interface ConfigDiagnostic {
  readonly severity: ConfigSeverity;
  /** The file name as given to the loader. */
  readonly file: string;
  /** 1-based line; 0 when the problem has no position (e.g. the file cannot be read). */
  readonly line: number;
  /** 1-based column; 0 when `line` is 0. */
  readonly column: number;
  /** Dotted key path (`remoteEndpoints.0.url`); `''` for the whole file. */
  readonly path: string;
  /** What is wrong, never containing an environment variable's value. */
  readonly message: string;
}

/** The outcome of loading a config: never thrown, so `validate` and hot reload handle it the same way. */
export type LoadConfigResult =
  | { readonly ok: true; readonly config: WatchProxyConfig; readonly warnings: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly errors: readonly ConfigDiagnostic[]; readonly warnings: readonly ConfigDiagnostic[] };

/** Environment variables as the loader sees them (`process.env` by default). */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Options of `parseConfig` and `loadConfigFile`. */
export interface LoadConfigOptions {
  /** Unknown keys are errors instead of warnings (`--strict`). Default `false`. */
  readonly strict?: boolean;
  /** Where env vars named by the config are looked up. Default `process.env`. */
  readonly env?: ConfigEnv;
  /**
   * Check that named env vars are set and named files (TLS, bearer token) are readable. Default `true`;
   * turn off to validate a file meant for another machine.
   */
  readonly checkEnvironment?: boolean;
  /**
   * Only `loadConfigFile`: run after the file loaded, with what the daemon checks before it starts (sinks
   * built from the environment, `stateDir`, ports). Its findings are located like the file's own. Default none.
   */
  readonly startupCheck?: ((config: WatchProxyConfig) => Promise<readonly ConfigFinding[]>) | undefined;
}
