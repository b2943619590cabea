import type { EndpointConfig, WatchProxyConfig } from '../../src/config/index.js';

/** The config's endpoints, each checked to be an HTTP one (for tests of HTTP-only keys). */
export function httpEndpoints(config: WatchProxyConfig): readonly EndpointConfig[] {
  return config.remoteEndpoints.map((endpoint) => {
    if (endpoint.type === 'kafka' || endpoint.type === 'nats') throw new Error(`${endpoint.name} is a ${endpoint.type} endpoint`);
    return endpoint;
  });
}
