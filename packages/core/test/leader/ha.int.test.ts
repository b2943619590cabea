import { KubeConfig } from '@kubernetes/client-node';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { uniqueId, useCluster } from '../watch/cluster-helpers.js';
import { ConfigMapCacheStore } from '../../src/cache/cluster-store-configmaps.js';
import { KubeJsonClient, KubeRequestError, type KubeJsonRequest } from '../../src/kube/kube-json-client.js';
import { LeaseElector } from '../../src/leader/lease-elector.js';
import { KubeLeaseLock } from '../../src/leader/lease-lock.js';
import { MemorySink } from '../../src/testing/memory-sink.js';
import type { Change } from '../../src/types.js';
import { WatchProxy } from '../../src/watch-proxy.js';

// One real apiserver; short timings (3 s / 2 s / 0.5 s) so failovers take seconds.
const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
const env = useCluster();

const suffix = uniqueId;

const { must } = env;

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await must('POST', '/api/v1/namespaces', { metadata: { name } });
  return name;
}

/** A client a test can cut off, as kill -9 or a partition cuts a replica off the apiserver. */
class CuttableClient extends KubeJsonClient {
  cut = false;
  override async request<T>(req: KubeJsonRequest): Promise<T> {
    if (this.cut) throw new KubeRequestError(0, 'cut off');
    return super.request<T>(req);
  }
}

/** Resolves once `check()` holds, re-checking on every call to `poke()`; rejects after `timeoutMs`. */
class Condition {
  #waiters: (() => void)[] = [];
  poke(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
  async until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      // Woken by the receiver or the electors; the timer only bounds the wait (conditions on the apiserver).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

interface Replica {
  readonly id: string;
  readonly elector: LeaseElector;
  readonly proxy: WatchProxy;
  readonly client: CuttableClient;
  /** Namespace of the Lease and the shared cache. */
  readonly home: string;
}

/** Two (or more) replicas of one pipeline sharing a receiver whose log records the sender of every change. */
async function pair(): Promise<{
  readonly watched: string;
  readonly log: { sender: string; change: Change; bothOpen: boolean }[];
  readonly changed: Condition;
  readonly replicas: Replica[];
  leaderThenStandby(): Promise<{ a: Replica; b: Replica }>;
  stopAll(): Promise<void>;
}> {
  const watched = await namespace('ha-watched');
  const home = await namespace('ha-home');
  const leaseName = `wp-${suffix()}`;
  const log: { sender: string; change: Change; bothOpen: boolean }[] = [];
  const changed = new Condition();
  const replicas: Replica[] = [];
  const make = (id: string): Replica => {
    const client = new CuttableClient(env.kubeConfig);
    const elector = new LeaseElector({ lock: new KubeLeaseLock({ client, namespace: home, name: leaseName }), identity: id, ...TIMING });
    const sink = new MemorySink({
      name: 'receiver',
      behaviour: (batch) => {
        // In-process, "both sending at once" is observable exactly: is every replica's gate open right now?
        const bothOpen = replicas.every((r) => r.elector.open);
        for (const change of batch.items) log.push({ sender: id, change, bothOpen });
        queueMicrotask(() => changed.poke());
        return { status: 'delivered' };
      },
    });
    const proxy = new WatchProxy({
      resources: [{ name: 'configmaps', namespaces: [watched] }],
      sinks: [sink],
      kubeConfig: env.kubeConfig,
      emitIntervalMs: 0,
      gate: elector,
      sharedCache: new ConfigMapCacheStore({ client, namespace: home, shards: 2 }),
      sharedCacheIntervalMs: 200,
    });
    elector.onChange(() => changed.poke());
    const replica = { id, elector, proxy, client, home };
    replicas.push(replica);
    return replica;
  };
  /** Replica a takes the lease first, then b starts as its standby; both pipelines are started. */
  const leaderThenStandby = async (): Promise<{ a: Replica; b: Replica }> => {
    const a = make('a');
    const b = make('b');
    a.elector.start();
    await changed.until(() => a.elector.open, 'a to lead', 10_000);
    b.elector.start();
    await Promise.all([a.proxy.start(), b.proxy.start()]);
    return { a, b };
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => r.proxy.shutdown({ timeoutMs: 1000 })));
    await Promise.all(replicas.map((r) => r.elector.stop()));
  };
  return { watched, log, changed, replicas, leaderThenStandby, stopAll };
}

const cm = (name: string, value: number): unknown => ({ metadata: { name }, data: { value: String(value) } });

describe('high availability against a real apiserver', () => {
  it('two replicas: one leads; on kill during a burst the other takes over in time, never both sending, and the receiver converges with every delete', async () => {
    const { watched, log, changed, leaderThenStandby, stopAll } = await pair();
    try {
      const { a, b } = await leaderThenStandby();
      expect(a.proxy.active).toBe(true);
      expect(b.proxy.active).toBe(false);
      for (let i = 0; i < 10; i++) await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, 0));
      await changed.until(() => log.filter((l) => l.change.event === 'add').length >= 10, 'the first ten adds', 10_000);
      // Wait until the leader shared what it delivered (the receiver could otherwise see all ten again): saved as
      // delivered, not only in the intent log (unconfirmed there, so sent again after a takeover).
      const store = new ConfigMapCacheStore({ client: new KubeJsonClient(env.kubeConfig), namespace: a.home, shards: 2 });
      const confirmed = async (): Promise<number> => [...((await store.load('receiver'))?.values() ?? [])].filter((e) => e.fingerprint !== '').length;
      await changed.until(async () => (await confirmed()) === 10, 'the shared cache to hold ten delivered entries', 10_000);
      // A burst; kill -9 the leader in the middle of it: no more requests of any kind, no release.
      const burst: Promise<unknown>[] = [];
      for (let i = 10; i < 30; i++) burst.push(must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, 0)));
      for (let i = 0; i < 5; i++) burst.push(must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c${i}`));
      await Promise.all(burst.slice(0, 8));
      a.client.cut = true;
      const killedAt = Date.now();
      a.proxy.destroy();
      for (let i = 30; i < 35; i++) burst.push(must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, 1)));
      for (let i = 5; i < 8; i++) burst.push(must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c${i}`));
      burst.push(must('PUT', `/api/v1/namespaces/${watched}/configmaps/c9`, cm('c9', 2)));
      await Promise.all(burst);
      await changed.until(() => b.elector.open, 'b to take over', 15_000);
      const takeover = Date.now() - killedAt;
      expect(takeover).toBeLessThanOrEqual(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs + 1000);
      // Convergence: the receiver's replay equals the cluster.
      const listed = async (): Promise<Map<string, string>> => {
        const items = (await must('GET', `/api/v1/namespaces/${watched}/configmaps`))['items'] as { metadata: { name: string }; data?: { value?: string } }[];
        return new Map(items.filter((o) => o.metadata.name.startsWith('c')).map((o) => [`configmaps|${watched}/${o.metadata.name}`, o.data?.value ?? '']));
      };
      const view = (): Map<string, string> => {
        const v = new Map<string, string>();
        for (const { change } of log) {
          if (change.event === 'delete') v.delete(change.key);
          else v.set(change.key, String((change.object['data'] as { value?: string } | undefined)?.value ?? ''));
        }
        return v;
      };
      const expected = await listed();
      await changed.until(() => JSON.stringify([...view()].sort()) === JSON.stringify([...expected].sort()), 'the receiver to converge', 15_000);
      expect(expected.size).toBe(27);
      expect(log.some((l) => l.bothOpen)).toBe(false);
      const senders = log.map((l) => l.sender).join('').replace(/(.)\1+/g, '$1');
      expect(senders).toBe('ab');
      // Everything deleted was announced deleted (c0..c7), whoever sent it.
      for (let i = 0; i < 8; i++) expect(log.some((l) => l.change.event === 'delete' && l.change.key === `configmaps|${watched}/c${i}`)).toBe(true);
      // The new leader did not re-send the ten the old one had delivered and shared, unless they changed.
      const repeats = log.filter((l) => l.sender === 'b' && l.change.event !== 'delete' && /\/c\d$/.test(l.change.key) && l.change.key !== `configmaps|${watched}/c9`);
      expect(repeats.map((l) => l.change.key)).toEqual([]);
    } finally {
      await stopAll();
    }
  }, 90_000);

  it('an apiserver restart during leadership: never two senders at once in the receiver log, and it converges', async () => {
    const { watched, log, changed, replicas, leaderThenStandby, stopAll } = await pair();
    try {
      await leaderThenStandby();
      for (let i = 0; i < 5; i++) await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, 0));
      await changed.until(() => log.length >= 5, 'the first five', 10_000);
      await env.cluster.restartApiserver();
      for (let i = 5; i < 10; i++) await must('POST', `/api/v1/namespaces/${watched}/configmaps`, cm(`c${i}`, 0));
      await must('DELETE', `/api/v1/namespaces/${watched}/configmaps/c0`);
      const names = (): string =>
        [...new Set(log.filter((l) => l.change.event !== 'delete').map((l) => l.change.name))].filter((n) => !log.some((l) => l.change.event === 'delete' && l.change.name === n)).sort().join(',');
      await changed.until(() => names() === 'c1,c2,c3,c4,c5,c6,c7,c8,c9', `convergence after the restart (have ${names()})`, 30_000);
      expect(log.some((l) => l.bothOpen)).toBe(false);
      expect(replicas.filter((r) => r.elector.open).length).toBeLessThanOrEqual(1);
    } finally {
      await stopAll();
    }
  }, 90_000);

  it('works with exactly the Role of examples/rbac-leader-election.yaml, in its namespace only', async () => {
    // kubectl reads the example (no YAML parser in core's dependencies).
    const file = fileURLToPath(new URL('../../../../examples/rbac-leader-election.yaml', import.meta.url));
    const read = await env.cluster.kubectl(['create', '--dry-run=client', '-o', 'json', '-f', file]);
    // One JSON document per object, back to back.
    const objects = JSON.parse(`[${read.stdout.trim().replace(/\n\}\n\{/g, '\n},\n{')}]`) as { kind: string; rules?: never[] }[];
    const rules = objects.find((d) => d.kind === 'Role')?.rules ?? [];
    expect(rules.length).toBeGreaterThan(0);
    const home = `ha-rbac-${suffix()}`;
    const minted = await env.cluster.mintToken({ namespace: home, serviceAccount: 'watch-proxy', rules });
    const restricted = new KubeConfig();
    restricted.loadFromFile(minted.kubeconfigPath);
    const client = new KubeJsonClient(restricted);
    const elector = new LeaseElector({ lock: new KubeLeaseLock({ client, namespace: home, name: 'watch-proxy' }), identity: 'a', ...TIMING });
    const changed = new Condition();
    elector.onChange(() => changed.poke());
    try {
      elector.start();
      await changed.until(() => elector.open, 'the restricted replica to lead', 10_000);
      const store = new ConfigMapCacheStore({ client, namespace: home, name: 'watch-proxy', shards: 2 });
      const entry = { fingerprint: 'f', resource: 'configmaps', uid: 'u', namespace: 'n', name: 'x', assetId: '', uniqueId: '-u', deliveredAt: 1, state: '{}' };
      await store.save('receiver', [['configmaps|n/x', entry]], () => true);
      await store.save('receiver', [['configmaps|n/x', { ...entry, fingerprint: 'g' }]], () => true);
      expect(await store.load('receiver')).toEqual(new Map([['configmaps|n/x', { ...entry, fingerprint: 'g' }]]));
      // The intent log, written before a send of an object the shards do not hold, is one of the Role's names too.
      await store.intend('receiver', [['configmaps|n/y', { ...entry, uid: 'v', name: 'y' }]], () => true);
      expect((await store.load('receiver'))?.get('configmaps|n/y')).toEqual({ ...entry, uid: 'v', name: 'y', fingerprint: '' });
      // Only the store's own ConfigMaps: not any other of its namespace (its own hot-reloaded config, say).
      const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watch-proxy-config', namespace: home }, data: { 'config.yaml': 'x' } };
      await client.request({ method: 'POST', path: `/api/v1/namespaces/${home}/configmaps`, body: config, timeoutMs: 10_000 });
      await expect(client.request({ method: 'PUT', path: `/api/v1/namespaces/${home}/configmaps/watch-proxy-config`, body: config, timeoutMs: 10_000 })).rejects.toMatchObject({ status: 403 });
      await expect(client.request({ method: 'GET', path: `/api/v1/namespaces/${home}/configmaps/watch-proxy-config`, timeoutMs: 10_000 })).rejects.toMatchObject({ status: 403 });
      // Nothing outside its namespace.
      const elsewhere = new ConfigMapCacheStore({ client, namespace: 'default', name: 'watch-proxy', shards: 1 });
      await expect(elsewhere.save('receiver', [['configmaps|n/x', entry]], () => true)).rejects.toMatchObject({ status: 403 });
    } finally {
      await elector.stop();
    }
  }, 60_000);
});
