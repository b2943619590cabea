import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '@watch-proxy/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createHighAvailability, daemonNamespace, replicaIdentity } from '../../src/high-availability.js';

function kubeConfig(namespace?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', ...(namespace === undefined ? {} : { namespace }) }],
    currentContext: 'ctx',
  });
  return kc;
}

const noFile = (): string => {
  throw new Error('ENOENT');
};

describe('high availability wiring', () => {
  it("finds the daemon's namespace: POD_NAMESPACE, then the service account's, then the kubeconfig, then default", () => {
    expect(daemonNamespace(kubeConfig('ctx-ns'), { POD_NAMESPACE: 'env-ns' }, () => 'sa-ns')).toBe('env-ns');
    expect(daemonNamespace(kubeConfig('ctx-ns'), {}, () => 'sa-ns\n')).toBe('sa-ns');
    expect(daemonNamespace(kubeConfig('ctx-ns'), {}, noFile)).toBe('ctx-ns');
    expect(daemonNamespace(kubeConfig(), {}, noFile)).toBe('default');
  });

  it('gives each process a distinct identity based on the pod name', () => {
    const a = replicaIdentity({ POD_NAME: 'wp-0' });
    const b = replicaIdentity({ POD_NAME: 'wp-0' });
    expect(a).toMatch(/^wp-0_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it('registers the leader gauge (0 until the lease is held) and the transitions counter', async () => {
    const registry = new Registry();
    const ha = createHighAvailability({
      config: { leaseName: 'wp', namespace: 'ops', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      kubeConfig: kubeConfig(),
      logger: silentLogger,
      env: { POD_NAME: 'wp-1' },
      registry,
    });
    expect(ha.namespace).toBe('ops');
    expect(ha.leading).toBe(false);
    const text = await registry.metrics();
    expect(text).toMatch(/^watch_proxy_leader 0$/m);
    expect(text).toMatch(/# TYPE watch_proxy_leader_transitions_total counter/);
  });
});
