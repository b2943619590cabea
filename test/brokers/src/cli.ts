// `pnpm brokers <command> ...`: start, stop and restart a test broker from a shell.
import { resolve } from 'node:path';

import { ensureBroker } from './binaries.ts';
import { attachBroker, startKafka, startNats } from './broker.ts';

const usage = `usage: pnpm brokers <command> ...

  build kafka|nats       fetch Kafka's jars / build nats-server (cached per machine); print their folder
  up kafka|nats <dir>    start one on free loopback ports; write <dir>/address
                         (kafka: host:port, nats: nats://host:port); log in <dir>/broker.log
  down <dir>             stop it (its data stays in <dir>)
  restart <dir>          kill -9 and start it again (same address, same data)`;

async function run(argv: readonly string[]): Promise<number> {
  const [command, first, second] = argv;
  if (command === 'build' && (first === 'kafka' || first === 'nats')) {
    console.log(await ensureBroker(first));
    return 0;
  }
  if (command === 'up' && (first === 'kafka' || first === 'nats') && second !== undefined) {
    const start = first === 'kafka' ? startKafka : startNats;
    const broker = await start({ dir: resolve(second), outlive: true });
    console.log(`${first} up: ${broker.address}\n  address file: ${broker.dir}/address\n  log:          ${broker.dir}/broker.log`);
    return 0;
  }
  if (command === 'down' && first !== undefined) {
    await attachBroker(resolve(first)).stop();
    console.log('broker down');
    return 0;
  }
  if (command === 'restart' && first !== undefined) {
    await attachBroker(resolve(first)).restart();
    console.log('broker restarted');
    return 0;
  }
  console.error(usage);
  return 2;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
