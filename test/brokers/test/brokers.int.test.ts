import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

import { startKafka, startNats, type TestBroker } from '../src/index.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function accepts(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.replace('nats://', '').split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function checkLifecycle(broker: TestBroker): Promise<void> {
  expect(readFileSync(join(broker.dir, 'address'), 'utf8').trim()).toBe(broker.address);
  expect(await accepts(broker.address)).toBe(true);
  const before = broker.address;
  await broker.restart();
  expect(broker.address, 'a restart keeps the address').toBe(before);
  expect(await accepts(broker.address)).toBe(true);
  await broker.kill();
  expect(await accepts(broker.address)).toBe(false);
  await broker.start();
  expect(await accepts(broker.address)).toBe(true);
  const dir = broker.dir;
  await broker.stop();
  expect(await accepts(before)).toBe(false);
  expect(existsSync(dir), 'a folder the helper created is removed').toBe(false);
}

describe('test brokers', () => {
  it('starts nats-server on loopback, restarts it on the same address, and stops it', async () => {
    const broker = await startNats();
    expect(broker.address).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    await checkLifecycle(broker);
  });

  it('starts a single-node KRaft Kafka on loopback, restarts it on the same address, and stops it', async () => {
    const broker = await startKafka();
    expect(broker.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await checkLifecycle(broker);
  });

  it('`pnpm brokers up nats <dir>` writes <dir>/address and `down <dir>` stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-brokers-cli-'));
    try {
      await run(process.execPath, [cli, 'up', 'nats', dir]);
      const address = readFileSync(join(dir, 'address'), 'utf8').trim();
      expect(address).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(await accepts(address)).toBe(true);
      await run(process.execPath, [cli, 'down', dir]);
      expect(await accepts(address)).toBe(false);
    } finally {
      await run(process.execPath, [cli, 'down', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
