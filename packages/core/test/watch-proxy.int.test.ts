import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uniqueId, useCluster } from './watch/cluster-helpers.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import type { Change, KubeObject } from '../src/types.js';
import { WatchProxy } from '../src/watch-proxy.js';
import type { DroppedInfo } from '../src/watch-proxy-types.js';
import { waitFor } from '@watch-proxy/test-support';

// One real apiserver for this file. No mocks: the proxy watches it through the default (reflector) source.
const env = useCluster();

const suffix = uniqueId;

const { must } = env;

/** key → uid@resourceVersion, the identity of each object's exact state. */
function identities(entries: Iterable<[string, KubeObject]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, object] of entries) {
    const m = object['metadata'] as { uid: string; resourceVersion: string };
    out.set(key, `${m.uid}@${m.resourceVersion}`);
  }
  return out;
}

/** A fresh list from the apiserver, keyed as the pipeline keys objects. */
async function listed(resource: string, path: string, keep: (o: KubeObject) => boolean = () => true): Promise<Map<string, string>> {
  const items = ((await must('GET', path))['items'] as KubeObject[]).filter(keep);
  return identities(
    items.map((o) => {
      const m = o['metadata'] as { name: string; namespace?: string };
      return [m.namespace ? `${resource}|${m.namespace}/${m.name}` : `${resource}|${m.name}`, o] as [string, KubeObject];
    }),
  );
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe('WatchProxy against a real apiserver', () => {
  it('converges: the MemorySink replay equals the cluster for configmaps, services, namespaces and a CRD', async () => {
    const id = suffix();
    const ns = `wp-conv-${id}`;
    const group = `wp${id}.example.com`;
    await must('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    // Served only once established; waiting keeps the watcher out of its (long) degraded backoff.
    const established = await env.cluster.kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=60s']);
    expect(established.code, established.stderr).toBe(0);
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before-start' }, data: { a: '1' } });

    const sink = new MemorySink({ name: 'memory' });
    const crd = `widgets.${group}`;
    const proxy = new WatchProxy({
      kubeConfig: env.kubeConfig,
      resources: ['configmaps', 'services', 'namespaces', crd],
      // only this test's objects: the cluster has its own configmaps and services in kube-system/default
      sinks: [{ sink, namespaces: [ns, `${ns}-b`] }],
      emitIntervalMs: 50,
      emitBatchMaxObjects: 100,
      clusterName: 'it',
    });
    const errors: Error[] = [];
    proxy.on('sinkError', (e) => errors.push(e));
    await proxy.start();

    // churn: creates, updates, deletes, a re-created name, a second namespace, a custom resource
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${ns}-b` } });
    for (let i = 0; i < 10; i++) {
      await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
    }
    for (let i = 0; i < 10; i += 2) {
      const current = await must('GET', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`);
      await must('PUT', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`, { ...current, data: { i: `${i}-changed` } });
    }
    for (const i of [1, 3]) await must('DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`);
    await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-1' }, data: { i: 'recreated' } });
    await must('POST', `/api/v1/namespaces/${ns}-b/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'web' } },
    });
    await must('POST', `/apis/${group}/v1/namespaces/${ns}/widgets`, { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 } });
    const w = await must('GET', `/apis/${group}/v1/namespaces/${ns}/widgets/w1`);
    await must('PUT', `/apis/${group}/v1/namespaces/${ns}/widgets/w1`, { ...w, spec: { size: 2 } });
    await must('POST', `/apis/${group}/v1/namespaces/${ns}/widgets`, { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 9 } });
    await must('DELETE', `/apis/${group}/v1/namespaces/${ns}/widgets/w2`);
    await must('DELETE', `/api/v1/namespaces/${ns}-b`); // stays Terminating without a controller manager: an update

    const ours = (o: KubeObject): boolean => [ns, `${ns}-b`].includes((o['metadata'] as { name: string }).name);
    const expected = new Map([
      ...(await listed('configmaps', `/api/v1/namespaces/${ns}/configmaps`)),
      ...(await listed('services', `/api/v1/namespaces/${ns}-b/services`)),
      ...(await listed('namespaces', '/api/v1/namespaces', ours)),
      ...(await listed(crd, `/apis/${group}/v1/namespaces/${ns}/widgets`)),
    ]);
    expect(expected.size).toBe(1 + 9 + 1 + 2 + 1);
    await sink.waitFor((s) => sameMap(identities(s.view()), expected), { timeoutMs: 30_000, what: 'the sink to match the cluster' });

    const recreated = sink.changes.filter((c) => c.key === `configmaps|${ns}/cm-1`).map((c) => c.event);
    expect(recreated).toEqual(['add', 'delete', 'add']);
    expect(sink.changes.find((c) => c.resource === crd)?.uniqueId).toMatch(/^it-/);
    expect(errors).toEqual([]);
    const report = await proxy.shutdown();
    expect(report.drained).toBe(true);
  });

  it('a custom resource nested 6,000 levels deep is counted as too-deep with its key; the others are delivered', async () => {
    const id = suffix();
    const ns = `wp-deep-${id}`;
    const group = `wpdeep${id}.example.com`;
    const crd = `gadgets.${group}`;
    await must('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crd },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const established = await env.cluster.kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
    expect(established.code, established.stderr).toBe(0);
    // Established is not yet served by discovery on a loaded machine: the watcher would report one not-found first.
    const served = async (): Promise<boolean> => {
      const groups = (await env.cluster.request('GET', '/apis')).body as { groups?: { name: string }[] };
      return groups.groups?.some((g) => g.name === group) === true && (await env.cluster.request('GET', `/apis/${group}/v1`)).status === 200;
    };
    await waitFor(served, 'discovery to serve the CRD', 30_000, 100);
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const path = `/apis/${group}/v1/namespaces/${ns}/gadgets`;
    const gadget = (name: string, spec: string): string => `{"apiVersion":"${group}/v1","kind":"Gadget","metadata":{"name":"${name}"},"spec":${spec}}`;
    // Written as text: JSON.stringify itself overflows the stack a few thousand levels down.
    const levels = 6000;
    await must('POST', path, gadget('deep-before', `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`));

    const sink = new MemorySink({ name: 'memory' });
    const proxy = new WatchProxy({ kubeConfig: env.kubeConfig, resources: [crd], sinks: [{ sink, namespaces: [ns] }], emitIntervalMs: 50, clusterName: 'it' });
    const dropped: DroppedInfo[] = [];
    proxy.on('dropped', (info) => dropped.push(info));
    const reported: Error[] = [];
    proxy.on('watchError', (e) => reported.push(e));
    await proxy.start();
    // One listed (the initial list), one watched, and ordinary neighbours on both paths.
    await must('POST', path, gadget('deep-after', `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`));
    await must('POST', path, gadget('shallow', '{"a":{"b":1}}'));
    const key = (name: string): string => `${crd}|${ns}/${name}`;
    await waitFor(() => sink.view().has(key('shallow')) && dropped.filter((d) => d.reason === 'too-deep').length === 2, 'the shallow gadget and both drops', 30_000);
    expect(dropped.filter((d) => d.reason === 'too-deep').flatMap((d) => d.keys).sort()).toEqual([key('deep-after'), key('deep-before')]);
    expect(proxy.stats().dropped['too-deep']).toBe(2);
    expect(sink.view().has(key('deep-before'))).toBe(false);
    expect(reported).toEqual([]);
    await proxy.shutdown();
  });

  it('resyncMs (forceReuploadDuration) relists and re-sends every object whole once its emit-cache entry expired', async () => {
    const ns = `wp-resync-${suffix()}`;
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (let i = 0; i < 3; i++) {
      await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: `v-${i}` } });
    }
    const sink = new MemorySink({ name: 'inventory' });
    const proxy = new WatchProxy({
      kubeConfig: env.kubeConfig,
      resources: [{ name: 'configmaps', namespaces: [ns], resyncMs: 1_000 }],
      sinks: [{ sink }],
      emitIntervalMs: 50,
      emitCacheDurationMs: 1,
      clusterName: 'it',
    });
    await proxy.start();
    await sink.waitFor((s) => s.view().size === 3, { timeoutMs: 30_000, what: '3 configmaps' });
    // The watcher keeps no objects: each resync is a list, and each unchanged object goes out whole again.
    await sink.waitFor((s) => s.changes.filter((c) => c.event === 'update').length >= 3, { timeoutMs: 30_000, what: 'a resync of the 3' });
    const resent = sink.changes.filter((c) => c.event === 'update').slice(0, 3);
    expect(resent.map((c) => `${c.name}:${(c.object['data'] as { v: string }).v}`).sort()).toEqual(['cm-0:v-0', 'cm-1:v-1', 'cm-2:v-2']);
    expect(proxy.stats().sinks['inventory']?.dropped['unchanged'] ?? 0).toBe(0);
    await proxy.shutdown();
  });

  it('after a restart with the same stateDir sends exactly the 3 missed deletes (last state) and 2 updates', async () => {
    const ns = `wp-restart-${suffix()}`;
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-int-state-'));
    try {
      await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (let i = 0; i < 8; i++) {
        await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: `original-${i}` } });
      }
      const run = (sink: MemorySink): WatchProxy =>
        new WatchProxy({
          kubeConfig: env.kubeConfig,
          resources: [{ name: 'configmaps', pruneFields: ['metadata.resourceVersion', 'metadata.managedFields'] }],
          sinks: [{ sink, namespaces: [ns] }],
          emitIntervalMs: 50,
          emitBatchMaxObjects: 100,
          stateDir,
        });

      const first = new MemorySink({ name: 'inventory' });
      const p1 = run(first);
      await p1.start();
      await first.waitFor((s) => s.view().size === 8, { timeoutMs: 30_000, what: '8 configmaps' });
      await p1.shutdown();

      // while stopped: delete 3, change 2, leave 3 untouched
      for (const i of [0, 1, 2]) await must('DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`);
      for (const i of [3, 4]) {
        const current = await must('GET', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`);
        await must('PUT', `/api/v1/namespaces/${ns}/configmaps/cm-${i}`, { ...current, data: { v: `changed-${i}` } });
      }

      const second = new MemorySink({ name: 'inventory' });
      const p2 = run(second);
      await p2.start();
      expect(await p2.flush({ timeoutMs: 30_000 })).toBe(true);
      const sent = (c: Change): string => `${c.event}:${c.name}:${(c.object['data'] as { v: string }).v}`;
      expect(second.changes.map(sent).sort()).toEqual([
        'delete:cm-0:original-0',
        'delete:cm-1:original-1',
        'delete:cm-2:original-2',
        'update:cm-3:changed-3',
        'update:cm-4:changed-4',
      ]);
      await p2.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('with filterEvents [delete], a restart that finds objects gone or re-created sends no delete, only what changed', async () => {
    const ns = `wp-filter-${suffix()}`;
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-int-state-'));
    try {
      await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const create = (name: string, v: string): Promise<unknown> =>
        must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });
      for (let i = 0; i < 4; i++) await create(`cm-${i}`, `original-${i}`);
      const run = (sink: MemorySink): WatchProxy =>
        new WatchProxy({
          kubeConfig: env.kubeConfig,
          resources: [{ name: 'configmaps', filterEvents: ['delete'], pruneFields: ['metadata.resourceVersion', 'metadata.managedFields'] }],
          sinks: [{ sink, namespaces: [ns] }],
          emitIntervalMs: 50,
          emitBatchMaxObjects: 100,
          stateDir,
        });

      const first = new MemorySink({ name: 'inventory' });
      const p1 = run(first);
      await p1.start();
      await first.waitFor((s) => s.view().size === 4, { timeoutMs: 30_000, what: '4 configmaps' });
      await p1.shutdown();

      // while stopped: cm-0 deleted, cm-1 changed, cm-2 deleted and created again (a new uid), cm-3 untouched
      await must('DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-0`);
      const current = await must('GET', `/api/v1/namespaces/${ns}/configmaps/cm-1`);
      await must('PUT', `/api/v1/namespaces/${ns}/configmaps/cm-1`, { ...current, data: { v: 'changed-1' } });
      await must('DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-2`);
      await create('cm-2', 'again-2');

      const second = new MemorySink({ name: 'inventory' });
      const p2 = run(second);
      await p2.start();
      expect(await p2.flush({ timeoutMs: 30_000 })).toBe(true);
      const sent = (c: Change): string => `${c.event}:${c.name}:${(c.object['data'] as { v: string }).v}`;
      expect(second.changes.map(sent).sort()).toEqual(['add:cm-2:again-2', 'update:cm-1:changed-1']);
      // Both deletes were decided and counted (cm-0 gone, cm-2's old incarnation), not sent.
      expect(p2.stats().sinks['inventory']?.dropped['filtered-event']).toBe(2);
      await p2.shutdown();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
