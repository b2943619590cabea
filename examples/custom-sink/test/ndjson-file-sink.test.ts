import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sink } from '@watch-proxy/core';
import { contractBatch, contractChange, describeSinkContract, FakeSource } from '@watch-proxy/core/testing';
import { WatchProxy } from '@watch-proxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createNdjsonFileSink, type NdjsonLine } from '../src/ndjson-file-sink.js';

const dirs = new Map<Sink, string>();

async function lines(path: string): Promise<NdjsonLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as NdjsonLine);
}

// The same name for every instance: the contract checks it is stable, so the file path must be too.
let shared: string | undefined;

describeSinkContract(
  'NDJSON file sink',
  async () => {
    shared ??= await mkdtemp(join(tmpdir(), 'wp-ndjson-'));
    const dir = await mkdtemp(join(shared, 'run-'));
    const sink = createNdjsonFileSink({ path: join(dir, 'changes.ndjson'), name: 'ndjson:contract' });
    dirs.set(sink, dir);
    return sink;
  },
  {
    verifyDelivered: async (sink, batch) => {
      const written = await lines(join(dirs.get(sink) as string, 'changes.ndjson'));
      const mine = written.filter((l) => l.batchId === batch.id);
      expect(mine.map((l) => [l.event, l.key, l.data])).toEqual(batch.items.map((c) => [c.event, c.key, c.object]));
    },
    cleanup: async (sink) => {
      await rm(dirs.get(sink) as string, { recursive: true, force: true });
    },
  },
);

describe('NDJSON file sink', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails start() when the directory does not exist, and classifies write errors', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wp-ndjson-'));
    const missing = createNdjsonFileSink({ path: join(dir, 'nope', 'x.ndjson') });
    const ctx = { signal: new AbortController().signal, logger: undefined as never };
    await expect(missing.start?.(ctx)).rejects.toThrow(/ENOENT/);
    const send = { ...ctx, attempt: 1, deadline: 0 };
    expect((await missing.send(contractBatch([contractChange('add', 'a')]), send)).status).toBe('retryable');
    const isDir = createNdjsonFileSink({ path: dir });
    expect((await isDir.send(contractBatch([contractChange('add', 'a')]), send)).status).toBe('rejected');
  });

  it('receives the whole pipeline through WatchProxy', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wp-ndjson-'));
    const path = join(dir, 'out.ndjson');
    const source = new FakeSource({ configmaps: [{ metadata: { name: 'a', namespace: 'ns', uid: 'u1' }, data: { k: 'v' } }] });
    const proxy = new WatchProxy({ resources: ['configmaps'], sinks: [createNdjsonFileSink({ path })], watchSource: source.factory, clusterName: 'dev' });
    await proxy.start();
    source.remove('configmaps', { metadata: { name: 'a', namespace: 'ns', uid: 'u1' } });
    await proxy.flush();
    await proxy.shutdown();
    expect((await lines(path)).map((l) => [l.event, l.key, l.uniqueId])).toEqual([
      ['add', 'configmaps|ns/a', 'dev-u1'],
      ['delete', 'configmaps|ns/a', 'dev-u1'],
    ]);
  });
});
