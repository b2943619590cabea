/** The daemon's operations endpoints: Prometheus metrics, liveness and readiness probes. */
export { createOpsServer, OpsServerError } from './ops-server.js';
export type { OpsAddress, OpsListener, OpsServer, OpsServerErrorCode, OpsServerOptions } from './ops-server.js';
export { createMetrics } from './metrics.js';
export type { MetricsOptions, WatchProxyMetrics } from './metrics.js';
export { ruleLabels } from './metrics-snapshot.js';
export type { EndpointSnapshot, MetricsSnapshot, ResourceSnapshot, RuleSnapshot, SendObservation, SendOutcomeLabel } from './metrics-snapshot.js';
export { livenessOf, readinessOf } from './probes.js';
export type { LivenessOptions, ProbeInput, ProbeResult, ProbeWatcherHealth } from './probes.js';
export { PROBE_FILE_INTERVAL_MS, PROBE_FILE_NAME, startProbeFile } from './probe-file.js';
export type { ProbeFile, ProbeFileOptions } from './probe-file.js';
export { timedSink } from './timed-sink.js';
export type { SendObserver } from './timed-sink.js';
export { bindWatchProxy, probeInputOf } from './bind-watch-proxy.js';
