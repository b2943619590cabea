/**
 * Real-shaped Kubernetes objects for the micro-benchmarks that need no cluster: the bench generators' Pods and
 * ReplicaSets (one in ten) completed with what the apiserver adds (uid, resourceVersion, timestamps,
 * managedFields with their fieldsV1 trees, a Pod status), so each is a ~6 KB watch object like the throughput
 * scenario's recorded lines. Pass a `kubectl get -o json` list file instead to measure real objects.
 */
import { readFileSync } from 'node:fs';
import { pod, replicaSet } from '../src/generators.ts';

type Json = Record<string, unknown>;

// The apiserver's fieldsV1 form: `f:<key>` per map key, `k:{"name":…}` per named list element (a list of
// scalars is owned whole: `{}`).
function fieldsV1(value: unknown): Json {
  if (Array.isArray(value)) {
    const out: Json = {};
    for (const item of value) {
      const name = (item as Json | null)?.['name'];
      if (typeof name === 'string') out[`k:${JSON.stringify({ name })}`] = { '.': {}, ...fieldsV1(item) };
    }
    return out;
  }
  if (value === null || typeof value !== 'object') return {};
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) out[`f:${key}`] = fieldsV1(child);
  return out;
}

function podStatus(i: number): Json {
  const at = '2026-11-22T05:0' + (i % 10) + ':00Z';
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: at,
    })),
    hostIP: `10.0.${i % 40}.1`,
    hostIPs: [{ ip: `10.0.${i % 40}.1` }],
    podIP: `10.244.${i % 40}.${i % 250}`,
    podIPs: [{ ip: `10.244.${i % 40}.${i % 250}` }],
    startTime: at,
    containerStatuses: [
      {
        name: 'app',
        state: { running: { startedAt: at } },
        lastState: {},
        ready: true,
        restartCount: i % 3,
        image: 'registry.example.com/storefront/app:1.2.3',
        imageID: `registry.example.com/storefront/app@sha256:${'0123456789abcdef'.repeat(4)}`,
        containerID: `containerd://${'fedcba9876543210'.repeat(4)}`,
        started: true,
      },
    ],
    qosClass: 'Burstable',
  };
}

/** `count` objects as a watch delivers them (`kind`/`apiVersion` included), or the items of `file`'s list. */
export function servedObjects(count: number, file?: string): Json[] {
  if (file !== undefined) return (JSON.parse(readFileSync(file, 'utf8')) as { items: Json[] }).items;
  const objects: Json[] = [];
  for (let i = 0; i < count; i++) {
    const object = i % 10 === 9 ? replicaSet('bench-tp', i) : pod('bench-tp', i);
    const metadata = object['metadata'] as Json;
    const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = object;
    const applied = { metadata: { labels: metadata['labels'], annotations: metadata['annotations'] }, ...rest };
    object['metadata'] = {
      ...metadata,
      uid: `7c1e4a52-${(0x1000 + (i % 0xefff)).toString(16)}-4d3b-9a0e-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100_000 + i),
      generation: 1,
      creationTimestamp: '2026-11-22T05:00:00Z',
      managedFields: [
        { manager: 'bench', operation: 'Update', apiVersion: object['apiVersion'], time: '2026-11-22T05:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fieldsV1(applied) },
        ...(object['kind'] === 'Pod'
          ? [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-11-22T05:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': fieldsV1(podStatus(i)) }, subresource: 'status' }]
          : []),
      ],
    };
    object['status'] = object['kind'] === 'Pod' ? podStatus(i) : { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 };
    objects.push(object);
  }
  return objects;
}
