/**
 * The types of the config layer. The normalized configuration the daemon runs on is derived from the schema's
 * output (`z.output` of `configFileSchema`, through the one mapping in `toConfig`): every default applied, every
 * duration in milliseconds (keys ending in `Ms`), an absent optional value `undefined`. Each key's meaning, default
 * and unit is documented once, in the schema (`.meta({ description })`, also the JSON Schema editors show).
 * Produced only by the loader, deep-frozen, and free of secrets (the values of the environment variables it names
 * are read on demand with `resolveEndpointSecrets`).
 */
import type { ConfigFinding } from './check-config.js';
import type { Frozen } from './deep-freeze.js';
import type { toConfig } from './to-config.js';

/** The whole normalized configuration. */
export type WatchProxyConfig = Frozen<ReturnType<typeof toConfig>>;

/** One `remoteEndpoints[]` entry, told apart by `type`: an HTTP receiver, a Kafka topic, or NATS JetStream. */
export type RemoteEndpointConfig = WatchProxyConfig['remoteEndpoints'][number];

/** One `remoteEndpoints[]` entry of `type: http` or `vro` (an HTTP receiver). */
export type EndpointConfig = Extract<RemoteEndpointConfig, { readonly type: 'http' | 'vro' }>;

/** One `remoteEndpoints[]` entry of `type: kafka`. */
export type KafkaEndpointConfig = Extract<RemoteEndpointConfig, { readonly type: 'kafka' }>;

/** One `remoteEndpoints[]` entry of `type: nats`. */
export type NatsEndpointConfig = Extract<RemoteEndpointConfig, { readonly type: 'nats' }>;

/** An endpoint's CEL expressions (`filter`, `updateFilter`, `transform`): the same three keys on every endpoint type. */
export type EndpointRulesConfig = Pick<RemoteEndpointConfig, 'filter' | 'updateFilter' | 'transform'>;

/** TLS settings of one HTTP endpoint. Paths are as written in the file (checked readable at load time). */
export type EndpointTlsConfig = EndpointConfig['tls'];

/** One `resources[]` entry: what to watch and how to shape its objects. */
export type ResourceConfig = WatchProxyConfig['resources'][number];

/** One `clusters[]` entry: a cluster the daemon watches besides (or instead of) its own. */
export type ClusterConfig = NonNullable<WatchProxyConfig['clusters']>[number];

/** An HTTP listener (metrics or liveness). */
export type ListenerConfig = NonNullable<WatchProxyConfig['prometheusMetrics']>;

/** Leader election settings (`leaderElection`), durations in milliseconds. */
export type LeaderElectionConfig = NonNullable<WatchProxyConfig['leaderElection']>;

/** The in-cluster emit cache store (`stateStore: {type: cluster}`, or implied by `leaderElection`). */
export type StateStoreConfig = NonNullable<WatchProxyConfig['stateStore']>;

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
