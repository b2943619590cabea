/**
 * Objects/s into Kafka and NATS JetStream: the throughput scenario's recorded watch lines replayed through a
 * WatchProxy whose one sink is the broker sink (Kafka: idempotent producer, acks=all, a record per change;
 * NATS: a JetStream publish per change, every ack awaited), next to a floor measured in the same run: the same
 * client sending the same records with no watch-proxy around it.
 */
import { rmSync } from 'node:fs';
import { startKafka, startNats, type TestBroker } from '@watch-proxy/test-brokers';
import type { BrokerKind } from '../broker-floor.ts';
import type { Context } from '../context.ts';
import { Host } from '../host-handle.ts';
import { load1 } from '../stats.ts';
import { recordedLinesFile } from './throughput.ts';

const START: Record<BrokerKind, () => Promise<TestBroker>> = { kafka: () => startKafka(), nats: () => startNats() };

export async function brokers(ctx: Context): Promise<void> {
  const { dir, linesFile } = await recordedLinesFile(ctx);
  try {
    for (const kind of ['kafka', 'nats'] as const) {
      ctx.log(`brokers: starting ${kind}`);
      const broker = await START[kind]();
      const host = await Host.start();
      try {
        const load = load1();
        const r = await host.call<{ objectsPerSecond: number; producerFloorPerSecond: number; lineBytes: number; events: number; cpuCores: number }>('throughput', {
          linesFile,
          events: ctx.sizes.throughputEvents,
          batch: 500,
          broker: { kind, address: broker.address },
        });
        ctx.detail(`brokers-${kind}`, { ...r, load });
        const ratio = r.objectsPerSecond / r.producerFloorPerSecond;
        ctx.report({
          scenario: `${kind} sink`,
          figure: `objects/s into ${kind === 'kafka' ? 'Kafka (acks=all, idempotent)' : 'NATS JetStream (every ack awaited)'}, ~${(r.lineBytes / 1024).toFixed(1)} KB watch lines, batches of 500`,
          value: r.objectsPerSecond,
          unit: 'objects/s',
          floor: r.producerFloorPerSecond,
          floorLabel: `the ${kind} client sending the same records`,
          ratio,
          note: `${r.events} events timed; pipeline process used ${r.cpuCores.toFixed(2)} cores; broker on the same 2 cores`,
        });
      } finally {
        await host.stop();
        await broker.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
