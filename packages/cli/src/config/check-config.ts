/**
 * Rules that span several keys, run once the file has the right shape (what the file names outside itself is
 * checked by `check-environment.ts`). Each finding carries a key path; the loader turns it into `file:line:col`.
 */
import { checkHttpEndpointAuth } from '@watch-proxy/http-sink/schema';

import { checkBrokerEndpoint } from './check-broker-endpoint.js';
import { checkClusters } from './check-clusters.js';
import { envTemplateReferences } from './env-template.js';
import type { ConfigFile } from './schema.js';
import type { ConfigSeverity } from './types.js';

/** A problem found by {@link checkConfig}, not yet positioned. */
export interface ConfigFinding {
  readonly severity: ConfigSeverity;
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The plural part of a resource name (`apps/v1/deployments` and `deployments.apps` both give `deployments`). */
export function resourcePlural(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  return name.includes('/') ? last : (last.split('.')[0] ?? last);
}

/** Cross-key checks of a well-shaped config file. */
export function checkConfig(file: ConfigFile): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const error = (path: readonly (string | number)[], message: string): void => {
    findings.push({ severity: 'error', path, message });
  };
  const warn = (path: readonly (string | number)[], message: string): void => {
    findings.push({ severity: 'warning', path, message });
  };

  // Resources: one watch per name, so a second entry would silently fight the first (it did in the original).
  const resourceNames = new Map<string, number>();
  file.resources.forEach((resource, i) => {
    const first = resourceNames.get(resource.name);
    if (first === undefined) resourceNames.set(resource.name, i);
    else error(['resources', i, 'name'], `duplicate resource "${resource.name}" (also resources.${String(first)})`);
  });
  if (file.resources.length === 0) warn(['resources'], 'no resources configured: nothing will be watched');
  const plurals = new Set([...resourceNames.keys()].map(resourcePlural));

  const election = file.leaderElection;
  if (election !== undefined) {
    // client-go's rules: a holder must give up before standbys may take over, and get several renew attempts.
    if (election.renewDeadline >= election.leaseDuration) {
      error(['leaderElection', 'renewDeadline'], 'must be less than leaseDuration (the leader must stop before a standby can take over)');
    }
    if (election.renewDeadline <= 1.2 * election.retryPeriod) {
      error(['leaderElection', 'retryPeriod'], 'must be less than renewDeadline / 1.2 (the leader needs several renew attempts)');
    }
  }

  if (file.clusterName !== '' && file.metadata !== undefined && 'cluster' in file.metadata) {
    warn(['metadata', 'cluster'], 'is replaced by clusterName in the payload\'s meta');
  }

  findings.push(...checkClusters(file));

  const endpointNames = new Map<string, number>();
  file.remoteEndpoints.forEach((endpoint, i) => {
    const at = (...rest: (string | number)[]): (string | number)[] => ['remoteEndpoints', i, ...rest];
    if (endpoint.name !== undefined) {
      const first = endpointNames.get(endpoint.name);
      if (first === undefined) endpointNames.set(endpoint.name, i);
      else error(at('name'), `duplicate endpoint name "${endpoint.name}" (also remoteEndpoints.${String(first)})`);
    }
    endpoint.resourceTypes.forEach((type, j) => {
      if (!plurals.has(resourcePlural(type))) warn(at('resourceTypes', j), `"${type}" matches none of the configured resources, so it routes nothing`);
    });
    if (endpoint.type === 'kafka' || endpoint.type === 'nats') {
      for (const finding of checkBrokerEndpoint(endpoint)) findings.push({ ...finding, path: at(...finding.path) });
      return;
    }

    for (const finding of checkHttpEndpointAuth(endpoint)) findings.push({ ...finding, path: at(...finding.path) });
    for (const header of Object.keys(endpoint.headers)) {
      const lower = header.toLowerCase();
      if (lower === 'content-type' || lower === 'content-length' || lower === 'content-encoding' || lower === 'host') {
        error(at('headers', header), `is set by watch-proxy itself and cannot be overridden`);
      }
      const refs = envTemplateReferences(endpoint.headers[header] ?? '');
      if (!refs.ok) error(at('headers', header), refs.message);
    }

    const tls = endpoint.tls;
    if (tls !== undefined) {
      if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
        error(at('tls', tls.certFile === undefined ? 'keyFile' : 'certFile'), 'certFile and keyFile must be set together');
      }
      if (tls.insecureSkipVerify) warn(at('tls', 'insecureSkipVerify'), 'TLS certificate verification is disabled for this endpoint');
      if (endpoint.url.startsWith('http:')) warn(at('tls'), 'has no effect on an http:// URL');
    }
    if (endpoint.type === 'vro' && endpoint.format !== 'watch-proxy') {
      error(at('format'), 'vro endpoints always use the watch-proxy format');
    }
    if (endpoint.region !== undefined) warn(at('region'), 'is only used by sqs endpoints, which are not supported; ignored');
  });

  const metrics = file.prometheusMetrics;
  const liveness = file.httpLiveness;
  if (metrics?.port !== undefined && liveness?.port !== undefined && metrics.port === liveness.port && metrics.port !== 0) {
    if (metrics.path === liveness.path) error(['httpLiveness', 'path'], `is also the metrics path on port ${String(metrics.port)}`);
  }
  return findings;
}
