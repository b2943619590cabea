import { describe, expect, it } from 'vitest';
import { createClusterCacheStore, type EmitCacheEntry } from '../../src/cache/index.js';
import { createLeaseElection } from '../../src/leader/index.js';
import { uniqueId, useCluster } from '../watch/cluster-helpers.js';
import { waitFor } from '@watch-proxy/test-support';

// Short timings (3 s / 2 s / 0.5 s) so a takeover takes about a second.
const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
const env = useCluster();

const entry: EmitCacheEntry = {
  fingerprint: 'f1',
  resource: 'configmaps',
  uid: 'u1',
  namespace: 'ns',
  name: 'x',
  assetId: '',
  uniqueId: 'c-u1',
  deliveredAt: 1_700_000_000_000,
  state: '{"metadata":{"name":"x","namespace":"ns","uid":"u1"}}',
};

describe('createLeaseElection against a real apiserver', () => {
  it('one replica leads and the other stands by; when the leader stops, the standby takes over (and reads the emit cache the leader shared)', async () => {
    const namespace = `lease-${uniqueId()}`;
    await env.must('POST', '/api/v1/namespaces', { metadata: { name: namespace } });
    const leaseName = `wp-${uniqueId()}`;
    const make = (replicaName: string): ReturnType<typeof createLeaseElection> =>
      createLeaseElection({ kubeConfig: env.kubeConfig, namespace, leaseName, replicaName, ...TIMING });
    // What the daemon pairs with an election: the leader's emit caches in ConfigMaps named after the Lease.
    const shared = (): ReturnType<typeof createClusterCacheStore> => createClusterCacheStore({ kubeConfig: env.kubeConfig, namespace, name: leaseName });
    const a = make('pod-a');
    const b = make('pod-b');
    const seen: string[] = [];
    a.gate.onChange((open) => seen.push(`a:${String(open)}`));
    b.gate.onChange((open) => seen.push(`b:${String(open)}`));
    try {
      // The replica's name plus a random suffix: a restarted pod never resumes its predecessor's lease.
      expect(a.identity).toMatch(/^pod-a_[0-9a-f]{8}$/);
      expect(make('pod-a').identity).not.toBe(a.identity);

      a.start();
      await waitFor(() => a.gate.open, 'a to lead', 10_000);
      b.start();
      const lease = await env.must('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${leaseName}`);
      expect((lease['spec'] as { holderIdentity?: string }).holderIdentity).toBe(a.identity);
      expect(b.gate.open).toBe(false);

      await shared().save('receiver', [['configmaps|ns/x', entry]], () => a.gate.open);
      const configMaps = await env.must('GET', `/api/v1/namespaces/${namespace}/configmaps`);
      const names = (configMaps['items'] as { metadata: { name: string } }[]).map((c) => c.metadata.name);
      expect(names.some((n) => n.startsWith(`${leaseName}-emit-cache-`))).toBe(true);

      await a.stop();
      expect(a.gate.open).toBe(false);
      await waitFor(() => b.gate.open, 'b to take over the released lease', 10_000);
      expect(seen).toEqual(['a:true', 'a:false', 'b:true']);
      expect((await shared().load('receiver'))?.get('configmaps|ns/x')).toMatchObject({ uid: 'u1', state: entry.state });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
