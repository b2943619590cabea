import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { startCluster, type TestCluster } from '@watch-proxy/test-cluster';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import type { KubeObject } from '../../src/types.js';
import type { ResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { WatchEvent } from '../../src/watch/watch-event.js';

/** A short unique suffix for names, so tests never collide (namespaces stay Terminating without a controller manager). */
export function uniqueId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function adminKubeConfig(cluster: TestCluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

/** A test file's cluster, started before its tests and stopped after them (see `useCluster`). */
export interface ClusterFixture {
  readonly cluster: TestCluster;
  /** Admin credentials, as `WatchProxyOptions.kubeConfig` takes them. */
  readonly kubeConfig: KubeConfig;
  /** Calls the admin API and fails loudly on a non-2xx status. */
  must(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

/** One real apiserver for the calling test file: started in `beforeAll`, stopped in `afterAll`. */
export function useCluster(): ClusterFixture {
  let started: { cluster: TestCluster; kubeConfig: KubeConfig } | undefined;
  beforeAll(async () => {
    const cluster = await startCluster();
    started = { cluster, kubeConfig: adminKubeConfig(cluster) };
  });
  afterAll(async () => {
    await started?.cluster.stop();
  });
  const get = (): { cluster: TestCluster; kubeConfig: KubeConfig } => {
    if (started === undefined) throw new Error('useCluster(): the cluster is only there inside tests and hooks');
    return started;
  };
  return {
    get cluster() {
      return get().cluster;
    },
    get kubeConfig() {
      return get().kubeConfig;
    },
    must: (method, path, body) => get().cluster.requestOk(method, path, body),
  };
}

/** Calls the admin API and fails loudly on a non-2xx status. */
export function must(cluster: TestCluster, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  return cluster.requestOk(method, path, body);
}

export async function createNamespace(cluster: TestCluster, name: string): Promise<void> {
  await must(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function configMap(ns: string, name: string, labels: Record<string, string>, data: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

/** Runs `jobs` with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** What the invariant check compares: key -> uid@resourceVersion. */
export function summarize(objects: Iterable<KubeObject>): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const m = o['metadata'] as { name: string; namespace?: string; uid: string; resourceVersion: string };
    out.set(m.namespace ? `${m.namespace}/${m.name}` : m.name, `${m.uid}@${m.resourceVersion}`);
  }
  return out;
}

/** A fresh consistent list (no resourceVersion) straight from the apiserver, summarized. */
export async function freshList(cluster: TestCluster, path: string): Promise<Map<string, string>> {
  const body = await must(cluster, 'GET', path);
  return summarize(body['items'] as KubeObject[]);
}

/**
 * The invariant check: the watcher's cache equals a fresh list, and replaying the handler's event log from
 * empty reproduces the cache (no lost, duplicated or out-of-order event).
 */
export function replay(events: readonly WatchEvent[]): Map<string, string> {
  const state = new Map<string, KubeObject>();
  for (const e of events) {
    if (e.resync === true) continue;
    const m = e.object['metadata'] as { name: string; namespace?: string; uid: string };
    const key = m.namespace ? `${m.namespace}/${m.name}` : m.name;
    if (e.type === 'delete') {
      const cur = state.get(key);
      // A delete must be for the incarnation we hold; otherwise the log is inconsistent.
      if (cur === undefined || (cur['metadata'] as { uid: string }).uid !== m.uid) throw new Error(`delete of ${key} (${m.uid}) that was not there`);
      state.delete(key);
    } else {
      const cur = state.get(key);
      if (e.type === 'add' && cur !== undefined) throw new Error(`duplicate add of ${key}`);
      if (e.type === 'update' && cur === undefined) throw new Error(`update of unknown ${key}`);
      state.set(key, e.object);
    }
  }
  return summarize(state.values());
}

export function cacheSummary(watcher: ResourceWatcher): Map<string, string> {
  return summarize(watcher.cache.values());
}

/** Established TCP connections of this process to `port` on loopback (read from /proc). */
export function socketsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // The fd closed while we looked.
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const [, , remote, state, , , , , , inode] = cols;
      if (remote!.endsWith(`:${hexPort}`) && state === '01' && inodes.has(inode!)) count++;
    }
  }
  return count;
}
