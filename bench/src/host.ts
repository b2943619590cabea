/**
 * A child process that runs `WatchProxy` in-process (the built @watch-proxy/core and http-sink, as the daemon
 * does), driven by the runner over IPC. A process of its own, started with --expose-gc, so heap and RSS figures
 * belong to the pipeline alone and a previous scenario's garbage never counts.
 *
 * Requests: { id, cmd, ...args }; every answer is { id, ok, result | error }.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy, type Batch, type Change, type Sink } from '@watch-proxy/core';
import type { WatchSource, WatchHandlers, ResolvedResource } from '@watch-proxy/core/watch';
import { createHttpSink } from '@watch-proxy/http-sink';
import { createKafkaSink, encodeRecord } from '@watch-proxy/kafka-sink';
import { createNatsSink, encodeMessage, messageId } from '@watch-proxy/nats-sink';
import { brokerFloor, type BrokerKind, type CapturedRecord } from './broker-floor.ts';
import { REV_ANNOTATION } from './generators.ts';
import { clock, processRss, sleep, waitUntil } from './stats.ts';

interface Request {
  readonly id: number;
  readonly cmd: string;
  readonly [arg: string]: unknown;
}

const gc = (globalThis as { gc?: (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc ?? ((): void => {});

/**
 * Heap and RSS after two full collections (the second frees what finalizers of the first released), with where
 * the RSS is: V8's committed heap (heapTotal), memory outside it (external, arrayBuffers), and what malloc holds.
 */
function settledMemory(): { heapUsed: number; rss: number; heapTotal: number; external: number; arrayBuffers: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

let proxy: WatchProxy | undefined;
let synced = 0;
let delivered = 0;
let sampler: ReturnType<typeof setInterval> | undefined;
let heapPeak = 0;
const baseline = settledMemory();

const RESOURCES: Record<string, ResolvedResource> = {
  Pod: { name: 'pods', ref: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } },
  ReplicaSet: { name: 'replicasets', ref: { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true } },
};
const TYPES: Record<string, 'add' | 'update' | 'delete'> = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' };
// What the original's example config prunes: fields that change on every write without meaning anything.
const PRUNE = ['metadata.resourceVersion', 'metadata.generation', 'status.observedGeneration'];

interface WatchLine {
  readonly type: string;
  readonly object: { readonly kind: string } & Record<string, unknown>;
}

/** Parses every line; returns lines/s. The floor: what any consumer of the watch stream must at least do. */
function parseOnly(lines: readonly string[]): number {
  const started = clock();
  let check = 0;
  for (const line of lines) check += (JSON.parse(line) as WatchLine).type.length;
  if (check === 0) throw new Error('no lines');
  return lines.length / ((clock() - started) / 1000);
}

/**
 * Pipeline throughput: recorded watch lines, parsed and handed to a WatchProxy (delta engine: prune, redact,
 * fingerprint; lane: coalesce, batch; http-sink: encode and POST) through a watch source that only parses.
 * Each round rewrites one annotation so every event is a real change (nothing is dropped as unchanged). The
 * feeder stays less than one round ahead of deliveries, so no two events for one object meet in a queue and
 * coalesce: every event fed is an object POSTed.
 */
async function throughput(args: { linesFile: string; events: number; batch: number; url?: string; broker?: { kind: BrokerKind; address: string }; filter?: string }): Promise<unknown> {
  const captured = readFileSync(args.linesFile, 'utf8').split('\n').filter((l) => l !== '');
  const marker = `"${REV_ANNOTATION}":"r1"`;
  const rounds = Math.max(2, Math.ceil(args.events / captured.length));
  const replay: string[] = [];
  for (let r = 0; r < rounds; r++) for (const line of captured) replay.push(line.replace(marker, `"${REV_ANNOTATION}":"t${r}"`));
  const bytes = captured.reduce((sum, l) => sum + Buffer.byteLength(l), 0) / captured.length;

  parseOnly(replay.slice(0, captured.length)); // warm-up
  const floorBefore = parseOnly(replay);

  let handlers: WatchHandlers | undefined;
  const source: WatchSource = {
    start: async (h) => {
      handlers = h;
    },
    stop: async () => {},
  };
  const capture = { on: true, batches: [] as CapturedRecord[][] };
  const sink = args.broker === undefined ? createHttpSink({ url: args.url!, name: 'receiver', clusterName: 'bench' }) : capturing(brokerSink(args.broker), args.broker.kind, capture);
  // A state directory, as every deployment has: the emit cache's persistence is part of the measured cost.
  const stateDir = mkdtempSync(join(tmpdir(), 'wp-bench-state-'));
  const wp = new WatchProxy({
    stateDir,
    resources: [
      { name: 'pods', assetId: 'pod', pruneFields: PRUNE },
      { name: 'replicasets', assetId: 'rs', pruneFields: PRUNE },
    ],
    // With `filter`, a CEL filter on the endpoint (true for every object, so the same objects go out).
    sinks: [args.filter === undefined ? sink : { sink, filter: args.filter }],
    watchSource: () => source,
    clusterName: 'bench',
    emitBatchMaxObjects: args.batch,
  });
  let acked = 0;
  let wake: (() => void) | undefined;
  wp.on('emitted', (info) => {
    acked += info.batch.items.length;
    wake?.();
  });
  await wp.start();
  const window = captured.length;
  const chunk = Math.max(1, Math.min(250, Math.floor(window / 4)));
  const feed = async (lines: readonly string[], before: number): Promise<void> => {
    for (let i = 0; i < lines.length; i++) {
      const event = JSON.parse(lines[i]!) as WatchLine;
      handlers!.onEvent(RESOURCES[event.object.kind]!, { type: TYPES[event.type] ?? 'update', object: event.object });
      if ((i + 1) % chunk === 0) {
        await yieldToLoop();
        while (before + i + 1 - acked > window - chunk) await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    while (acked < before + lines.length) await new Promise<void>((resolve) => (wake = resolve));
  };
  // Round 0 warms up the JIT, sockets and the emit cache, untimed.
  await feed(replay.slice(0, window), 0);
  capture.on = false;
  const floorBatches = capture.batches;
  const floorRecords = floorBatches.reduce((sum, b) => sum + b.length, 0);
  const timed = replay.slice(window);
  const started = clock();
  const cpuBefore = process.cpuUsage();
  await feed(timed, window);
  const elapsedMs = clock() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const stats = wp.stats();
  await wp.shutdown();
  rmSync(stateDir, { recursive: true, force: true });
  const floorAfter = parseOnly(replay);
  // Into a broker the floor is its own client sending the records the sink sent, as many as were timed.
  const producerFloor =
    args.broker === undefined ? undefined : await brokerFloor(args.broker.kind, args.broker.address, floorBatches, Math.max(1, Math.round(timed.length / floorRecords)));
  return {
    producerFloorPerSecond: producerFloor,
    lineBytes: Math.round(bytes),
    distinctObjects: captured.length,
    events: timed.length,
    objectsPerSecond: timed.length / (elapsedMs / 1000),
    // CPU of this process (pipeline thread plus libuv/GC helpers) per wall second: above 1 means more than one core.
    cpuCores: (cpu.user + cpu.system) / 1000 / elapsedMs,
    floorPerSecond: Math.max(floorBefore, floorAfter),
    floorRuns: [floorBefore, floorAfter],
    batches: stats.sinks['receiver']?.batches,
    dropped: stats.dropped,
  };
}

/** The broker scenario's sink: the topic/stream created on first use, as a first deployment would. */
function brokerSink(broker: { kind: BrokerKind; address: string }): Sink<Change> {
  return broker.kind === 'kafka'
    ? createKafkaSink({ brokers: [broker.address], topic: 'bench-{resource}', createTopics: true, clusterName: 'bench', name: 'receiver' })
    : createNatsSink({ servers: broker.address, subject: 'bench.{resource}.{event}', stream: 'BENCH', createStream: true, clusterName: 'bench', name: 'receiver' });
}

/** Wraps a broker sink to keep the records it sends while `into.on` (the warm-up round): the floor sends them again. */
function capturing(sink: Sink<Change>, kind: BrokerKind, into: { on: boolean; batches: CapturedRecord[][] }): Sink<Change> {
  const record = (change: Change): CapturedRecord => {
    if (kind === 'nats') return { target: `bench.${change.resource}.${change.event}`, key: messageId(change), value: encodeMessage(change, 'watch-proxy', 'bench').data };
    const r = encodeRecord(change, 'watch-proxy', 'bench');
    return { target: `bench-${change.resource}`, key: change.uniqueId, value: r.value, headers: r.headers };
  };
  return {
    ...sink,
    send: (batch: Batch<Change>, ctx) => {
      if (into.on) into.batches.push(batch.items.map(record));
      return sink.send(batch, ctx);
    },
  };
}

let watchStateDir: string | undefined;

/** Starts a WatchProxy on a real cluster; resolves once its first list was processed and delivered. */
async function watch(args: { kubeconfig: string; namespace: string; url: string; batch: number }): Promise<unknown> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(args.kubeconfig);
  const started = clock();
  // A state directory, as the daemon always has (its own private one when the config names none): where the emit
  // cache keeps the delivered states it does not hold in memory.
  watchStateDir ??= mkdtempSync(join(tmpdir(), 'wp-bench-state-'));
  proxy = new WatchProxy({
    stateDir: watchStateDir,
    resources: [{ name: 'configmaps', assetId: 'cm', namespaces: [args.namespace] }],
    sinks: [createHttpSink({ url: args.url, name: 'receiver', clusterName: 'bench' })],
    kubeConfig,
    clusterName: 'bench',
    emitBatchMaxObjects: args.batch,
  });
  proxy.on('synced', () => synced++);
  proxy.on('emitted', (info) => (delivered += info.batch.items.length));
  await proxy.start();
  const syncedMs = clock() - started;
  await proxy.flush();
  return { syncedMs, deliveredMs: clock() - started, delivered };
}

const commands: Record<string, (args: Request) => Promise<unknown> | unknown> = {
  throughput: (r) => throughput(r as unknown as Parameters<typeof throughput>[0]),
  watch: (r) => watch(r as unknown as Parameters<typeof watch>[0]),
  /** With `release`, first the last-resort collection the daemon runs once a list is delivered (list-memory-release). */
  memory: (r) => {
    if (r['release'] === true) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return { baseline, now: settledMemory(), ...processRss(process.pid), synced, delivered };
  },
  /** Starts or stops sampling heapUsed (garbage included, no forced GC) every 10 ms, for the relist peak. */
  sample: (r) => {
    if (r['on'] === true) {
      heapPeak = process.memoryUsage().heapUsed;
      sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 10);
      return {};
    }
    clearInterval(sampler);
    return { heapPeak };
  },
  waitSynced: async (r) => {
    await waitUntil(() => synced >= Number(r['count']), `synced event #${String(r['count'])}`, Number(r['timeoutMs'] ?? 300_000), 10);
    await proxy?.flush();
    return { synced };
  },
  cpu: () => ({ ...process.cpuUsage(), at: clock() }),
  idle: async (r) => {
    const before = process.cpuUsage();
    const at = clock();
    await sleep(Number(r['ms']));
    const used = process.cpuUsage(before);
    return { cpuMs: (used.user + used.system) / 1000, wallMs: clock() - at };
  },
  exit: async () => {
    await proxy?.shutdown();
    if (watchStateDir !== undefined) rmSync(watchStateDir, { recursive: true, force: true });
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', (request: Request) => {
  void (async () => {
    try {
      const result = await commands[request.cmd]!(request);
      process.send?.({ id: request.id, ok: true, result });
    } catch (error) {
      process.send?.({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.send?.({ id: 0, ok: true, result: 'ready' });
