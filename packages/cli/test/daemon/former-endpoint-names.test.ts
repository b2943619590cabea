import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchProxy, silentLogger } from '@watch-proxy/core';
import type { KubeObject, Logger } from '@watch-proxy/core';
import type { EmitCacheEntry, SharedCacheStore } from '@watch-proxy/core/cache';
import { FakeSource, MemorySink } from '@watch-proxy/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import type { EndpointConfig } from '../../src/config/index.js';
import { adoptFormerStateFiles, withFormerNames } from '../../src/former-endpoint-names.js';
import { httpEndpoints } from '../config/http-endpoints.js';

const URL_WITH_TOKEN = 'https://hooks.example/services/T0KEN';

function endpoints(): readonly EndpointConfig[] {
  const result = parseConfig(`remoteEndpoints:\n- url: ${URL_WITH_TOKEN}\n- url: http://mine/\n  name: mine\nresources: [{name: configmaps}]\n`, 'c.yaml', { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return httpEndpoints(result.config);
}

function cm(name: string, value = 1): KubeObject {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: String(value) }, data: { value } };
}

async function run(sinkName: string, stateDir: string, objects: readonly KubeObject[]): Promise<MemorySink> {
  const sink = new MemorySink({ name: sinkName });
  const proxy = new WatchProxy({ resources: ['configmaps'], sinks: [sink], watchSource: new FakeSource({ configmaps: objects }).factory, stateDir, emitIntervalMs: 0 });
  await proxy.start();
  await proxy.flush();
  await proxy.shutdown();
  return sink;
}

function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (fields: object, msg?: string) => lines.push(`${level} ${JSON.stringify(fields)} ${msg ?? ''}`);
  const logger: Logger = { ...silentLogger, info: record('info'), warn: record('warn'), child: () => logger };
  return logger;
}

describe('state persisted under an endpoint name of an earlier version', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'wp-former-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is taken over once after an upgrade: nothing re-sent, the deletes made meanwhile sent, the old file gone', async () => {
    const [endpoint] = endpoints();
    expect(endpoint?.formerName).toBe(URL_WITH_TOKEN);
    // The earlier version, which named the endpoint by its URL.
    const before = await run(URL_WITH_TOKEN, stateDir, [cm('a'), cm('b')]);
    expect(before.changes).toHaveLength(2);
    // Earlier versions kept only the snapshot; the journal segments are this version's.
    for (const file of await readdir(stateDir)) if (file.endsWith('.journal')) await rm(join(stateDir, file));

    const lines: string[] = [];
    adoptFormerStateFiles(stateDir, endpoints(), recordingLogger(lines));
    const after = await run(endpoint?.name ?? '', stateDir, [cm('a')]);
    expect(after.changes.map((c) => `${c.event}:${c.name}:${c.synthesized ?? ''}`)).toEqual(['delete:b:restart']);

    const files = await readdir(stateDir);
    expect(files.join(' ')).not.toMatch(/services|T0KEN/);
    expect(lines).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/hooks\.example\/|T0KEN/);

    // Once: state written under the current name is never replaced by a former file found later.
    await writeFile(join(stateDir, `emit-cache.${encodeURIComponent(URL_WITH_TOKEN)}.ndjson`), 'stale');
    adoptFormerStateFiles(stateDir, endpoints(), recordingLogger(lines));
    expect((await run(endpoint?.name ?? '', stateDir, [cm('a')])).changes).toEqual([]);
  });

  it('is read from the shared store under the former name until the current name has its own', async () => {
    const [endpoint] = endpoints();
    const entry = { fingerprint: 'f' } as unknown as EmitCacheEntry;
    const stored = new Map<string, ReadonlyMap<string, EmitCacheEntry>>([[URL_WITH_TOKEN, new Map([['k', entry]])]]);
    const saved: string[] = [];
    class Store implements SharedCacheStore {
      readonly #stored = stored;
      async load(sink: string): Promise<ReadonlyMap<string, EmitCacheEntry> | undefined> {
        return this.#stored.get(sink);
      }
      async save(sink: string, entries: Iterable<readonly [string, EmitCacheEntry]>, _mayWrite: () => boolean): Promise<void> {
        saved.push(sink);
        this.#stored.set(sink, new Map(entries));
      }
      extra(): string {
        return this.#stored.size > 0 ? 'passed through' : '';
      }
    }
    const store = withFormerNames(new Store(), endpoints()) as Store;
    const name = endpoint?.name ?? '';
    expect([...((await store.load(name)) ?? [])]).toEqual([['k', entry]]);
    expect(await store.load('mine')).toBeUndefined();
    expect(store.extra()).toBe('passed through');
    await store.save(name, [], () => true);
    expect(saved).toEqual([name]);
    expect(await store.load(name)).toEqual(new Map());
  });
});
