/**
 * `delayAddEventDuration` across a hot reload, with the daemon's pipeline holder in process against a real
 * apiserver and a loopback receiver: a reload swaps the pipeline, but must not re-open the delay (the original
 * kept the informers of kept resources running), or every config edit would discard new objects' adds again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '@watch-proxy/core';
import { startCluster } from '@watch-proxy/test-cluster';
import type { TestCluster } from '@watch-proxy/test-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { parseConfig } from '../../src/config/index.js';
import type { WatchProxyConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon.js';
import { Receiver } from './harness.js';

let cluster: TestCluster;
const dir = mkdtempSync(join(tmpdir(), 'wp-reload-delay-'));
const receiver = new Receiver();

beforeAll(async () => {
  cluster = await startCluster();
  await receiver.listen();
});

afterAll(async () => {
  await receiver.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const NS = 'reload-add-delay';

function config(revision: number): WatchProxyConfig {
  const text = [
    'delayAddEventDuration: 4s',
    `stateDir: ${join(dir, 'state')}`,
    `metadata: { revision: ${String(revision)} }`,
    'remoteEndpoints:',
    `- url: ${receiver.url()}`,
    `  namespaces: [${NS}]`,
    'resources: [{ name: configmaps }]',
    '',
  ].join('\n');
  const result = parseConfig(text, 'config.yaml', { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const created = (name: string): Promise<unknown> =>
  cluster.requestOk('POST', `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

const received = (name: string): boolean => receiver.items().some((item) => item.data.metadata.name === name);

describe('delayAddEventDuration across a hot reload', () => {
  it('a reload does not re-open the delay: an object created right after it is sent', async () => {
    await cluster.requestOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfigPath);
    let fatal: unknown;
    const daemon = new Daemon({ kubeConfig, logger: silentLogger, onFatal: (error) => (fatal = error) });
    const synced = (): boolean => daemon.pipeline?.stats().synced.includes('configmaps') === true;
    try {
      await daemon.start(config(1));
      await waitFor(synced, 'the first sync');
      // The delay is over once an object created now is sent: until then each probe's add is discarded.
      let probe = 0;
      await waitFor(
        async () => {
          const name = `probe-${String(probe++)}`;
          await created(name);
          return waitFor(() => received(name), name, 1_000).then(
            () => true,
            () => false,
          );
        },
        'the add delay of the first start to end',
        60_000,
        0,
      );

      expect(await daemon.reload(config(2))).toBe('applied');
      await waitFor(synced, 'the reloaded pipeline to sync');
      await created('after-reload');
      await waitFor(() => received('after-reload'), 'the add of an object created right after the reload', 15_000);
      expect(receiver.items().filter((item) => item.data.metadata.name === 'after-reload').map((item) => item.event)).toEqual(['add']);
      expect(fatal).toBeUndefined();
    } finally {
      await daemon.stop();
    }
  });
});
