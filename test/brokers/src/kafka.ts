import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';

import type { LaunchSpec } from './launch-spec.ts';

const run = promisify(execFile);

// Small heap and few threads: the broker shares two cores with builds and other test runs. C1 only
// (TieredStopAtLevel=1) starts the JVM in about half the time and is plenty for test traffic.
const JVM_OPTIONS = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

/**
 * A single-node KRaft Kafka (broker and controller in one JVM) on 127.0.0.1: `server.properties` and a log4j2
 * configuration in `dir`, data in `dir/data`, formatted on the first start only, so a restart keeps every topic.
 */
export async function kafkaLaunch(home: string, dir: string, ports: readonly number[]): Promise<LaunchSpec> {
  const [client, controller] = ports;
  const classpath = `${home}/libs/*`;
  const data = join(dir, 'data');
  const properties = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${client}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${data}`,
      // One broker: every internal topic has one replica.
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
      'num.network.threads=2',
      'num.io.threads=2',
      'background.threads=2',
      'log.cleaner.threads=1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    log4j,
    [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      '',
    ].join('\n'),
  );
  const jvm = [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath];
  if (!existsSync(join(data, 'meta.properties'))) {
    mkdirSync(data, { recursive: true });
    const clusterId = randomBytes(16).toString('base64url');
    // `--cluster-id=` keeps an id that starts with "-" (1 in 64 of them) from being read as an option.
    await run('java', [...jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties], { timeout: 120_000 });
  }
  return { command: 'java', args: [...jvm, 'kafka.Kafka', properties], readyLine: 'Kafka Server started', port: client! };
}

/** How a Kafka test broker is reached: `127.0.0.1:<port>` (a bootstrap broker). */
export function kafkaAddress(port: number): string {
  return `127.0.0.1:${port}`;
}
