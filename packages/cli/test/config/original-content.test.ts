/**
 * `originalContent: true`: one setting gives a receiver written for the original what the original sent (the
 * last-applied annotation, Secret data, managedFields, an add and delete that met before the send), through the
 * real mapping into core, on the watch path, a relist and a restart from the persisted state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger, WatchProxy } from '@watch-proxy/core';
import type { KubeObject } from '@watch-proxy/core';
import { FakeSource, MemorySink } from '@watch-proxy/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import type { WatchProxyConfig } from '../../src/config/index.js';
import { toWatchProxyOptions } from '../../src/watch-proxy-options.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function load(text: string): WatchProxyConfig {
  const result = parseConfig(text, 'c.yaml', { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function secret(name: string, value: string): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      annotations: { [LAST_APPLIED]: `{"data":{"password":"${value}"}}` },
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    },
    data: { password: Buffer.from(value).toString('base64') },
  };
}

/** A proxy built from the config exactly as the daemon does, with a fake cluster and an in-memory receiver. */
function proxyFor(config: WatchProxyConfig, source: FakeSource, sink: MemorySink, stateDir: string): WatchProxy {
  const options = toWatchProxyOptions(config, { kubeConfig: new KubeConfig(), stateDir, logger: silentLogger, dryRun: true });
  return new WatchProxy({ ...options, sinks: [sink], watchSource: source.factory });
}

describe('originalContent', () => {
  it('maps onto every resource (a resource\'s own setting wins) and onto the queue', () => {
    const config = load('originalContent: true\nresources:\n- name: secrets\n- name: pods\n  includeSecretData: false\n  includeManagedFields: no\n');
    expect(config.resources.map((r) => [r.name, r.includeSecretData, r.includeManagedFields])).toEqual([
      ['secrets', true, true],
      ['pods', false, false],
    ]);
    const runtime = { kubeConfig: new KubeConfig(), stateDir: undefined, logger: silentLogger, dryRun: true };
    expect(toWatchProxyOptions(config, runtime).cancelAddDelete).toBe(false);
    const secure = load('resources:\n- name: secrets\n');
    expect([secure.originalContent, secure.resources[0]?.includeSecretData, secure.resources[0]?.includeManagedFields]).toEqual([false, false, false]);
    expect(toWatchProxyOptions(secure, runtime).cancelAddDelete).toBe(true);
  });

  it('sends what the original sent on the watch path, a relist and after a restart', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'wp-original-content-'));
    dirs.push(stateDir);
    const config = load('originalContent: true\nemitInterval: 1\nresources:\n- name: secrets\n');
    const source = new FakeSource({ secrets: [secret('a', 's3cret')] });
    const sink = new MemorySink();
    const first = proxyFor(config, source, sink, stateDir);
    await first.start();
    await first.flush();
    source.update('secrets', secret('a', 'rotated'));
    await first.flush();
    // Missed while disconnected, found by the relist.
    source.silently('secrets', { set: secret('b', 'relisted') });
    source.relist('secrets');
    await first.flush();
    await first.shutdown();
    // Changed while the daemon was down, found at the restart.
    const restarted = new FakeSource({ secrets: [secret('a', 'while-down'), secret('b', 'relisted')] });
    const second = proxyFor(config, restarted, sink, stateDir);
    await second.start();
    await second.flush();
    await second.shutdown();

    const sent = sink.changes.map((c) => {
      const metadata = c.object['metadata'] as { annotations: Record<string, string>; managedFields?: unknown; name: string };
      const data = c.object['data'] as { password: string };
      return [c.event, metadata.name, Buffer.from(data.password, 'base64').toString(), metadata.annotations[LAST_APPLIED], metadata.managedFields !== undefined];
    });
    expect(sent).toEqual([
      ['add', 'a', 's3cret', '{"data":{"password":"s3cret"}}', true],
      ['update', 'a', 'rotated', '{"data":{"password":"rotated"}}', true],
      ['add', 'b', 'relisted', '{"data":{"password":"relisted"}}', true],
      ['update', 'a', 'while-down', '{"data":{"password":"while-down"}}', true],
    ]);
  });
});
