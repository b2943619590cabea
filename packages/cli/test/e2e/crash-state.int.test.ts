/**
 * The emit cache's state against a real apiserver, with the built daemon: a `kill -9` right after deliveries
 * (issue 13's "Checked by": objects delivered in the second before the kill and deleted while the daemon is
 * down are reported deleted after the restart), with a state directory and with the cluster store alone, and a
 * pod replacement with `stateStore: {type: cluster}` (issue 12: a new process with an empty state directory
 * re-sends nothing and reports the deletes made meanwhile).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';
import { waitFor } from '@watch-proxy/test-support';

import { useE2eFile } from './harness.js';
import type { DaemonRun, Receiver } from './harness.js';

/** Per test: each starts two daemons; on a loaded 2-core machine they take several times longer. */
const E2E_TIMEOUT_MS = 240_000;

const file = useE2eFile('wp-crash-e2e-');
const { dir, receiver } = file;

function daemon(config: string): DaemonRun {
  return file.daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath]);
}

const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => file.cluster.requestOk(method, path, body);
const createNamespace = (name: string): Promise<unknown> => must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const createConfigMap = (ns: string, name: string, labels: Record<string, string> = {}): Promise<unknown> =>
  must('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { k: name } });
const deleteConfigMap = (ns: string, name: string): Promise<unknown> => must('DELETE', `/api/v1/namespaces/${ns}/configmaps/${name}`);

function config(file: string, options: { url: string; namespace: string; stateDir: string | undefined; extra?: string }): string {
  writeFileSync(
    file,
    [
      options.extra ?? '',
      'clusterName: e2e',
      'emitBatchMaxObjects: 10',
      options.stateDir === undefined ? '' : `stateDir: ${options.stateDir}`,
      'remoteEndpoints:',
      `- url: ${options.url}`,
      '  name: receiver',
      'resources:',
      '- name: configmaps',
      `  namespaces: [${options.namespace}]`,
      '',
    ].join('\n'),
  );
  return file;
}

/** What the cluster store's 8 shards (not its intent log) hold, as text: the gunzipped NDJSON of every part. */
async function shardText(ns: string): Promise<string> {
  const texts = await Promise.all(
    Array.from({ length: 8 }, async (_v, shard) => {
      const cm = await file.cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/watch-proxy-emit-cache-${String(shard)}`);
      if (cm.status === 404) return '';
      const data = ((cm.body as { binaryData?: Record<string, string> }).binaryData ?? {});
      return Object.values(data).map((part) => gunzipSync(Buffer.from(part, 'base64')).toString('utf8')).join('\n');
    }),
  );
  return texts.join('\n');
}

/** Items about `name` at `r` with this event. */
const count = (r: Receiver, name: string, event: string): number => r.about(name).filter((i) => i.event === event).length;

describe('emit cache state on a real apiserver', () => {
  it('kill -9 right after deliveries: objects deleted while the daemon is down are reported deleted after the restart', async () => {
    const ns = 'crash-e2e';
    await createNamespace(ns);
    const r = await receiver();
    const stateDir = join(dir, 'crash-state');
    const file = config(join(dir, 'crash.yaml'), { url: r.url(), namespace: ns, stateDir });
    const snapshot = join(stateDir, 'emit-cache.receiver.ndjson');

    const first = daemon(file);
    await first.waitForLog('initial sync done');
    // Right after a snapshot was written (it holds "warmup"), so the next one is ~10 s away.
    await createConfigMap(ns, 'warmup');
    await waitFor(() => existsSync(snapshot) && readFileSync(snapshot, 'utf8').includes('"warmup"'), 'a snapshot holding the warmup object');
    const ghosts = Array.from({ length: 20 }, (_v, i) => `ghost-${String(i)}`);
    await Promise.all(ghosts.map((name) => createConfigMap(ns, name)));
    await waitFor(() => ghosts.every((name) => count(r, name, 'add') === 1), 'every ghost delivered');
    first.signal('SIGKILL');
    await first.exited;
    // What makes this a test of the journal: the last snapshot does not know (all of) them.
    const saved = readFileSync(snapshot, 'utf8');
    expect(ghosts.filter((name) => saved.includes(`"${name}"`)).length).toBeLessThan(ghosts.length);

    await Promise.all(ghosts.map((name) => deleteConfigMap(ns, name)));
    const second = daemon(file);
    await waitFor(() => ghosts.every((name) => count(r, name, 'delete') >= 1), 'a delete of every ghost after the restart', 60_000);
    expect(r.about('ghost-0').find((i) => i.event === 'delete')?.data.metadata.name).toBe('ghost-0');
    // The warmup object was confirmed before the kill: not sent again.
    expect(count(r, 'warmup', 'add') + count(r, 'warmup', 'update')).toBe(1);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('kill -9 with stateStore cluster and no stateDir: objects delivered in the second before the kill and deleted while it is down get their deletes', async () => {
    const ns = 'crash-cluster-e2e';
    const home = 'crash-cluster-home';
    await createNamespace(ns);
    await createNamespace(home);
    const r = await receiver();
    const extra = `stateStore:\n  type: cluster\n  namespace: ${home}\n`;
    const file = config(join(dir, 'crash-cluster.yaml'), { url: r.url(), namespace: ns, stateDir: undefined, extra });

    const first = daemon(file);
    await first.waitForLog('initial sync done');
    // Right after a save that holds "warmup", so the next one is ~2 s away.
    await createConfigMap(ns, 'warmup');
    await waitFor(async () => (await shardText(home)).includes('"warmup"'), 'the cluster store holding the warmup object', 30_000, 50);
    const ghosts = Array.from({ length: 20 }, (_v, i) => `ghost-${String(i)}`);
    await Promise.all(ghosts.map((name) => createConfigMap(ns, name)));
    await waitFor(() => ghosts.every((name) => count(r, name, 'add') === 1), 'every ghost delivered');
    first.signal('SIGKILL');
    await first.exited;
    // What makes this a test of what is written before a send: the last save of the shards does not know (all of) them.
    const saved = await shardText(home);
    expect(ghosts.filter((name) => saved.includes(`"${name}"`)).length).toBeLessThan(ghosts.length);

    await Promise.all(ghosts.map((name) => deleteConfigMap(ns, name)));
    const second = daemon(file);
    await waitFor(() => ghosts.every((name) => count(r, name, 'delete') >= 1), 'a delete of every ghost after the restart', 60_000);
    expect(r.about('ghost-0').find((i) => i.event === 'delete')?.data.metadata.name).toBe('ghost-0');
    // The warmup object was saved before the kill: not sent again.
    expect(count(r, 'warmup', 'add') + count(r, 'warmup', 'update')).toBe(1);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
    // A clean stop leaves the intent log empty: the shards hold everything again.
    const intents = await must('GET', `/api/v1/namespaces/${home}/configmaps/watch-proxy-emit-cache-intents`);
    expect(intents['binaryData'] ?? {}).toEqual({});
  }, E2E_TIMEOUT_MS);

  it('pod replacement with stateStore cluster: a new process with an empty state directory re-sends nothing and reports the deletes made meanwhile', async () => {
    const ns = 'replace-e2e';
    await createNamespace(ns);
    const r = await receiver();
    // The store lives in the watched namespace: its own ConfigMaps must never be sent, a user's labelled one must.
    const extra = `stateStore:\n  type: cluster\n  namespace: ${ns}\n`;
    const keep = Array.from({ length: 5 }, (_v, i) => `keep-${String(i)}`);
    const gone = Array.from({ length: 5 }, (_v, i) => `gone-${String(i)}`);
    await Promise.all([...keep, ...gone].map((name) => createConfigMap(ns, name)));
    await createConfigMap(ns, 'impostor', { 'watch-proxy.io/emit-cache': 'true' });

    const first = daemon(config(join(dir, 'replace-a.yaml'), { url: r.url(), namespace: ns, stateDir: join(dir, 'pod-a'), extra }));
    await waitFor(() => [...keep, ...gone, 'impostor'].every((name) => count(r, name, 'add') === 1), 'every object from the first pod');
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    const stored = await must('GET', `/api/v1/namespaces/${ns}/configmaps/watch-proxy-emit-cache-0`);
    expect((stored['metadata'] as { labels: Record<string, string> }).labels['watch-proxy.io/emit-cache']).toBe('true');

    await Promise.all(gone.map((name) => deleteConfigMap(ns, name)));
    const sent = r.items().length;
    // The replacement: another process, an empty state directory, the same cluster store.
    const second = daemon(config(join(dir, 'replace-b.yaml'), { url: r.url(), namespace: ns, stateDir: join(dir, 'pod-b'), extra }));
    await second.waitForLog('initial sync done');
    await createConfigMap(ns, 'sentinel');
    await waitFor(() => count(r, 'sentinel', 'add') === 1 && gone.every((name) => count(r, name, 'delete') === 1), 'the deletes made meanwhile and the sentinel');
    const after = r.items().slice(sent);
    expect(after.map((i) => `${i.event}:${i.data.metadata.name}`).sort()).toEqual([...gone.map((name) => `delete:${name}`), 'add:sentinel'].sort());
    expect(r.items().filter((i) => i.data.metadata.name.startsWith('watch-proxy-emit-cache'))).toEqual([]);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, E2E_TIMEOUT_MS);
});
