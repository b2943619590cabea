/**
 * deltaUpdates (issue 16): one field of N ~7 KB objects is updated; the bytes on the wire (request bodies as the
 * HTTP sink sends them) with and without deltaUpdates, and the cost for a receiver on @watch-proxy/receiver to
 * apply the patches, next to a floor of parsing the same bodies with JSON.parse. No cluster: a FakeSource drives
 * the real pipeline (delta engine, lanes, batching, patches).
 */
import { WatchProxy, type Batch, type KubeObject, type SendOutcome, type Sink } from '@watch-proxy/core';
import { delivered } from '@watch-proxy/core/sink';
import { encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { FakeSource } from '@watch-proxy/core/testing';
import { Inventory, parseBatch } from '@watch-proxy/receiver';
import type { Context } from '../context.ts';

/** A sink that keeps the bodies the HTTP sink would POST. */
class BodySink implements Sink {
  readonly bodies: Buffer[] = [];
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  send(batch: Batch): Promise<SendOutcome> {
    this.bodies.push(encodeWatchProxyPayload(batch.items, null, 'buffer'));
    return Promise.resolve(delivered());
  }
}

/** A Deployment-like object of about 7 KB: labels, annotations, a pod template with containers and env. */
function deployment(i: number, replicas: number): KubeObject {
  return {
    metadata: { name: `app-${i}`, namespace: 'bench', uid: `uid-${i}`, labels: { app: `app-${i}`, tier: 'web', team: 'payments' }, annotations: { note: 'n'.repeat(400) } },
    spec: {
      replicas,
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: {
          containers: Array.from({ length: 3 }, (_, c) => ({
            name: `c${c}`,
            image: `registry.example.com/team/app-${i}:1.2.${c}`,
            env: Array.from({ length: 25 }, (_, e) => ({ name: `ENV_${e}`, value: `value-${i}-${c}-${e}-${'v'.repeat(30)}` })),
            ports: [{ containerPort: 8080 + c, protocol: 'TCP' }],
            resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
          })),
        },
      },
    },
    status: { availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
  };
}

async function updateBytes(objects: number, deltaUpdates: boolean): Promise<{ bytes: number; objectBytes: number; bodies: Buffer[] }> {
  const source = new FakeSource({ deployments: [] });
  const sink = new BodySink(deltaUpdates ? 'delta' : 'whole');
  const proxy = new WatchProxy({ resources: ['deployments'], watchSource: source.factory, sinks: [{ sink, deltaUpdates }], emitBatchMaxObjects: 100 });
  await proxy.start();
  for (let i = 0; i < objects; i++) source.add('deployments', deployment(i, 1));
  await proxy.flush();
  const objectBytes = sink.bodies.reduce((sum, b) => sum + b.length, 0) / objects;
  const added = sink.bodies.splice(0);
  for (let i = 0; i < objects; i++) source.update('deployments', deployment(i, 2));
  await proxy.flush();
  await proxy.shutdown();
  const bodies = sink.bodies;
  return { bytes: bodies.reduce((sum, b) => sum + b.length, 0), objectBytes, bodies: [...added, ...bodies] };
}

export async function deltaUpdates(ctx: Context): Promise<void> {
  const objects = ctx.smoke ? 50 : 1000;
  const whole = await updateBytes(objects, false);
  const delta = await updateBytes(objects, true);
  ctx.report({
    scenario: 'deltaUpdates',
    figure: `bytes on the wire, one field of ${objects} objects of ${Math.round(whole.objectBytes)} B updated`,
    value: delta.bytes,
    unit: 'bytes',
    floor: whole.bytes,
    floorLabel: 'the same updates, deltaUpdates: false',
    ratio: whole.bytes / delta.bytes,
    target: '>= 20x fewer bytes',
    met: whole.bytes / delta.bytes >= 20,
  });
  // The receiver: parse and apply every body (the adds, then the patches), against parsing the same bodies only.
  const rounds = ctx.smoke ? 1 : 5;
  let applyMs = Infinity;
  let parseMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const inventory = new Inventory();
    let started = performance.now();
    for (const body of delta.bodies) {
      const result = inventory.apply(parseBatch(body).items);
      if (result.resend.length > 0) throw new Error('the bench receiver lacked a base');
    }
    applyMs = Math.min(applyMs, performance.now() - started);
    started = performance.now();
    for (const body of delta.bodies) JSON.parse(body.toString('utf8'));
    parseMs = Math.min(parseMs, performance.now() - started);
  }
  const items = objects * 2;
  ctx.report({
    scenario: 'deltaUpdates',
    figure: `receiver apply cost (@watch-proxy/receiver: ${objects} adds then ${objects} patches)`,
    value: (applyMs * 1000) / items,
    unit: 'us/item',
    floor: (parseMs * 1000) / items,
    floorLabel: 'JSON.parse of the same bodies',
    ratio: applyMs / parseMs,
  });
  ctx.detail('deltaUpdates', { objects, wholeBytes: whole.bytes, deltaBytes: delta.bytes, objectBytes: whole.objectBytes, applyMs, parseMs });
}
