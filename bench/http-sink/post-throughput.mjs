// POST throughput of @watch-proxy/http-sink to a loopback receiver: batches of 10 and 500 objects of ~5 KB.
//
//   node bench/http-sink/post-throughput.mjs [--seconds 5] [--gzip] [--cold]
//
// By default the objects are deep-frozen and their canonical JSON computed beforehand, as the pipeline does
// (fingerprint, emit cache) before a batch reaches a sink; the encoder then reuses that text. `--cold` skips this,
// so every object is serialized from scratch (the CLI printer's case, or a sink fed by other code).
//
// Runs from the TypeScript sources (Node >= 22.18 strips types; a resolve hook maps the packages' `.js` import
// suffixes to `.ts` and selects the `@watch-proxy/source` export condition), so no build is needed.
// The receiver runs in a worker thread so it does not share the sink's event loop. Each scenario is printed
// next to a floor measured in the same run: the same requests with a pre-encoded body (HTTP cost only), and the
// encoder alone (CPU cost only). Encoding then POSTing in sequence is the floor the sink is compared with, so the
// last column reads as a ratio rather than an absolute of one machine (1.00 = no overhead beyond those two).
/* global URL, AbortController -- Node globals; the lint config lists only process and console for .mjs */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Agent } from 'node:http';
import { Buffer } from 'node:buffer';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const conditions = [...(context.conditions ?? []), '@watch-proxy/source'];
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return nextResolve(candidate.href, { ...context, conditions });
    }
    return nextResolve(specifier, { ...context, conditions });
  },
});

const root = new URL('../../', import.meta.url);
const { createHttpSink } = await import(new URL('packages/http-sink/src/index.ts', root).href);
const { silentLogger } = await import(new URL('packages/core/src/index.ts', root).href);
const { canonicalJson, encodeWatchProxyPayload } = await import(new URL('packages/core/src/payload/index.ts', root).href);
const { default: fetch } = await import(pathToFileURL(fileURLToPath(new URL('packages/http-sink/node_modules/node-fetch/src/index.js', root))).href);

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) > 0 && args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 5;
const gzip = args.includes('--gzip');
const cold = args.includes('--cold');

// The receiver: reads every body to the end and answers 200, on its own thread.
const receiver = new Worker(
  `const { createServer } = require('node:http');
   const { parentPort } = require('node:worker_threads');
   const server = createServer((req, res) => { req.on('data', () => {}); req.on('end', () => res.writeHead(200).end()); });
   server.keepAliveTimeout = 60000;
   server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
  { eval: true },
);
const port = await new Promise((resolve) => receiver.once('message', resolve));
const url = `http://127.0.0.1:${port}/watch-proxy`;

/** A pod-like object of about 5 KB of JSON, keys in API-server order (not sorted). */
function pod(i) {
  const containers = [0, 1, 2].map((c) => ({
    name: `app-${c}`,
    image: `registry.example.com/team/app-${c}:v1.2.${i % 10}`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080 + c, protocol: 'TCP' }],
    // One object in ten has characters Go escapes (`<`, `&`): those take the full encoder even when memoized.
    env: [{ name: 'MODE', value: 'production' }, { name: 'OPTS', value: `-Xmx512m -Dfoo=${i % 10 === 0 ? '<bar> &' : 'bar'} ${'v'.repeat(120)}` }],
    resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  }));
  const uid = `7c1f${String(i).padStart(4, '0')}-1111-4222-8333-944455556666`;
  return {
    metadata: {
      name: `web-5d8f7c6b9-${i}`,
      namespace: 'default',
      uid,
      resourceVersion: String(100000 + i),
      creationTimestamp: '2026-01-14T16:05:12Z',
      labels: { app: 'web', tier: 'backend', 'pod-template-hash': '5d8f7c6b9' },
      annotations: { 'example.com/note': 'n'.repeat(300) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c6b9', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
      uniqueId: `bench-${uid}`,
    },
    spec: {
      containers,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: 'node-1',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.1',
      podIP: `10.244.${i % 256}.${(i >> 8) % 256}`,
      startTime: '2026-01-14T16:05:12Z',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: '2026-01-14T16:05:14Z' })),
      containerStatuses: containers.map((c) => ({
        name: c.name, ready: true, restartCount: 0, image: c.image, started: true,
        imageID: `registry.example.com/team/${c.name}@sha256:${'f'.repeat(64)}`,
        containerID: `containerd://${'e'.repeat(64)}`,
        state: { running: { startedAt: '2026-01-14T16:05:13Z' } },
      })),
    },
  };
}

function change(i) {
  const object = pod(i);
  return {
    key: `pods|default/${object.metadata.name}`, resource: 'pods', event: 'update', object, uid: object.metadata.uid,
    namespace: 'default', name: object.metadata.name, assetId: 'pod', uniqueId: object.metadata.uniqueId,
    fingerprint: `fp-${i}`, observedAt: Date.now(),
  };
}

function deepFreeze(value) {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

const pool = Array.from({ length: 2000 }, (_, i) => change(i));
if (!cold) {
  for (const c of pool) {
    deepFreeze(c.object);
    canonicalJson(c.object); // what the delta engine's fingerprint step leaves memoized
  }
}
const objectBytes = Math.round(pool.reduce((sum, c) => sum + JSON.stringify(c.object).length, 0) / pool.length);
const context = () => ({ signal: new AbortController().signal, attempt: 1, deadline: Date.now() + 60_000, logger: silentLogger });

/** Runs `step(batchIndex)` (which handles `size` objects and returns body bytes) for `seconds`. */
async function measure(size, step) {
  for (let i = 0; i < 20; i++) await step(i); // warm-up: JIT and keep-alive sockets
  let objects = 0;
  let bytes = 0;
  let batches = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    bytes += await step(batches++);
    objects += size;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { objectsPerSecond: objects / elapsed, megabytesPerSecond: bytes / elapsed / 1e6, batchesPerSecond: batches / elapsed };
}

function batchAt(size, index) {
  const start = (index * size) % (pool.length - size);
  return { id: `b-${index}`, items: pool.slice(start, start + size), bytes: 0, createdAt: Date.now() };
}

const rows = [];
for (const size of [10, 500]) {
  const sink = createHttpSink({ url, clusterName: 'bench', metadata: { region: 'east' }, compression: gzip ? 'gzip' : 'none' });
  // Body sizes per batch start, computed up front so the timed loop does nothing but send.
  const sizes = new Map();
  for (let start = 0; start < pool.length - size; start++) sizes.set(start, Buffer.byteLength(encodeWatchProxyPayload(pool.slice(start, start + size), { cluster: 'bench', region: 'east' })));
  const sinkResult = await measure(size, async (i) => {
    const batch = batchAt(size, i);
    const outcome = await sink.send(batch, context());
    if (outcome.status !== 'delivered') throw new Error(`send failed: ${outcome.error?.message}`);
    return sizes.get((i * size) % (pool.length - size));
  });
  await sink.close?.(context());

  // Floor 1: the same POSTs with bodies encoded beforehand (node-fetch, keep-alive agent): the HTTP cost alone.
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(encodeWatchProxyPayload(batchAt(size, i).items, { cluster: 'bench', region: 'east' })));
  const httpFloor = await measure(size, async (i) => {
    const body = bodies[i % bodies.length];
    const response = await fetch(url, { method: 'POST', body, agent, headers: { 'Content-Type': 'application/json' } });
    await response.arrayBuffer();
    return body.length;
  });
  agent.destroy();

  // Floor 2: the encoder alone.
  const encodeOnly = await measure(size, async (i) => Buffer.byteLength(encodeWatchProxyPayload(batchAt(size, i).items, null)));
  rows.push({ size, sinkResult, httpFloor, encodeOnly });
}
await receiver.terminate();

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(
  `POST throughput, ${seconds} s per scenario, objects ~${objectBytes} B of JSON, compression ${gzip ? 'gzip' : 'none'}, ` +
    `${cold ? 'cold objects (serialized from scratch)' : 'pipeline objects (frozen, canonical JSON memoized)'}, Node ${process.version}`,
);
// The floor for the sink is doing both jobs in sequence: encode, then POST the encoded body.
console.log('| batch | sink objects/s | sink MB/s | batches/s | POST-only floor objects/s | encode-only objects/s | sink / (encode + POST) floor |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const { size, sinkResult, httpFloor, encodeOnly } of rows) {
  console.log(
    `| ${size} | ${fmt(sinkResult.objectsPerSecond)} | ${sinkResult.megabytesPerSecond.toFixed(1)} | ${fmt(sinkResult.batchesPerSecond)} | ` +
      `${fmt(httpFloor.objectsPerSecond)} | ${fmt(encodeOnly.objectsPerSecond)} | ` +
      `${(sinkResult.objectsPerSecond * (1 / httpFloor.objectsPerSecond + 1 / encodeOnly.objectsPerSecond)).toFixed(2)} |`,
  );
}
