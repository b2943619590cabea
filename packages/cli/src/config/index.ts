/** The config layer of the daemon: load, validate, normalize, and the JSON Schema for editors. */
export { DEFAULT_CONFIG_PATH, MAX_CONFIG_FILE_BYTES, formatDiagnostic, loadConfigFile, parseConfig } from './load-config.js';
export { parseGoDuration } from './parse-go-duration.js';
export type { GoDurationResult } from './parse-go-duration.js';
export { configJsonSchema, configJsonSchemaText } from './json-schema.js';
export type { JsonSchema } from './json-schema.js';
export { expandEnvTemplate, envTemplateReferences, readEnvSecret } from './env-template.js';
export type { EnvTemplateReferences } from './env-template.js';
export { resolveEndpointSecrets } from './resolve-secrets.js';
export { runValidate } from './validate-command.js';
export type { ConfigFinding } from './check-config.js';
export type { TextSink, ValidateCommandOptions } from './validate-command.js';
export type { EndpointSecrets } from './resolve-secrets.js';
export type {
  ClusterConfig,
  ConfigDiagnostic,
  ConfigEnv,
  ConfigSeverity,
  EndpointConfig,
  EndpointRulesConfig,
  EndpointTlsConfig,
  LeaderElectionConfig,
  StateStoreConfig,
  ListenerConfig,
  LoadConfigOptions,
  LoadConfigResult,
  RemoteEndpointConfig,
  ResourceConfig,
  WatchProxyConfig,
  KafkaEndpointConfig,
  NatsEndpointConfig,
} from './types.js';
