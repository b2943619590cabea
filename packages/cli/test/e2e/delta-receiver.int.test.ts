/**
 * deltaUpdates against a real apiserver with the built daemon (issue 16): a receiver built on
 * @watch-proxy/receiver ends with an inventory equal to the cluster after creates, updates (sent as patches) and
 * deletes, a daemon restart with changes made while it was down, and an endpoint outage; a receiver that drops
 * its state mid-run recovers through the resend answer.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

import { afterAll, describe, expect, it } from 'vitest';
import { createReceiver } from '@watch-proxy/receiver';
import { waitFor } from '@watch-proxy/test-support';

import { useE2eFile } from './harness.js';

const file = useE2eFile('wp-delta-e2e-');
const ns = 'delta-e2e';

const must = (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => file.cluster.requestOk(method, path, body);
const put = (name: string, value: string, create = false): Promise<unknown> =>
  must(create ? 'POST' : 'PUT', `/api/v1/namespaces/${ns}/configmaps${create ? '' : `/${name}`}`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { value, filler: 'x'.repeat(2000) },
  });
const remove = (name: string): Promise<unknown> => must('DELETE', `/api/v1/namespaces/${ns}/configmaps/${name}`);

const receiver = createReceiver({ secret: 'e2e-secret' });
const answers: number[] = [];
let patches = 0;
let down = false;
let refused = 0;
receiver.inventory.on('updated', (_entry, paths) => {
  if (paths.includes('/data/value')) patches++;
});
const server = createServer((req, res) => {
  if (down) {
    refused++;
    req.resume();
    res.writeHead(503).end();
    return;
  }
  res.on('finish', () => answers.push(res.statusCode));
  void receiver.node(req, res);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** uniqueId -> data.value, of the cluster and of the inventory. */
async function cluster(): Promise<Record<string, string>> {
  const list = (await must('GET', `/api/v1/namespaces/${ns}/configmaps`)) as { items: { metadata: { uid: string }; data?: { value?: string } }[] };
  return Object.fromEntries(list.items.map((cm) => [`e2e-${cm.metadata.uid}`, cm.data?.value ?? '']));
}
function held(): Record<string, string> {
  return Object.fromEntries([...receiver.inventory.entries()].map((e) => [e.uniqueId, ((e.object['data'] ?? {}) as { value?: string }).value ?? '']));
}
async function converged(what: string): Promise<void> {
  let want: Record<string, string> = {};
  await waitFor(async () => {
    want = await cluster();
    return JSON.stringify(Object.entries(held()).sort()) === JSON.stringify(Object.entries(want).sort());
  }, `${what}: inventory ${JSON.stringify(held())} vs cluster ${JSON.stringify(want)}`, 60_000);
}

describe('deltaUpdates with @watch-proxy/receiver on a real apiserver', () => {
  it('the inventory follows the cluster through updates, a restart, an outage and a receiver that lost its state', async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const config = join(file.dir, 'delta.yaml');
    writeFileSync(
      config,
      [
        'clusterName: e2e',
        'deltaUpdates: true',
        `stateDir: ${join(file.dir, 'state')}`,
        'remoteEndpoints:',
        `- url: ${url}`,
        '  name: receiver',
        '  signingSecretVar: HOOK_SECRET',
        'resources:',
        '- name: configmaps',
        `  namespaces: [${ns}]`,
        '  pruneFields: [metadata.managedFields]',
        '',
      ].join('\n'),
    );
    const start = () => file.daemon(['-c', config, '--kubeconfig', file.cluster.kubeconfigPath], { HOOK_SECRET: 'e2e-secret' });

    let daemon = start();
    await daemon.waitForLog('initial sync done');
    for (const name of ['a', 'b', 'c']) await put(name, '1', true);
    await converged('creates');
    await put('a', '2');
    await put('b', '2');
    await remove('c');
    await converged('updates and a delete');
    expect(patches).toBeGreaterThanOrEqual(2);

    // Down: changes made meanwhile arrive after the restart (whole first, then patches again).
    daemon.signal('SIGTERM');
    await daemon.exited;
    await put('a', '3');
    await put('d', '1', true);
    await remove('b');
    daemon = start();
    await daemon.waitForLog('initial sync done');
    await converged('after a restart');

    // An endpoint outage: 503s are retried until it is back.
    down = true;
    await put('a', '4');
    await put('d', '2');
    await waitFor(() => refused >= 2, 'the changes tried (and refused with 503) during the outage', 30_000);
    down = false;
    await converged('after an outage');

    // The receiver loses its state: the next patches get the resend answer and the objects come back whole.
    const before = patches;
    receiver.inventory.clear();
    await put('a', '5');
    await put('d', '3');
    await waitFor(() => answers.includes(409), 'a resend answer', 30_000);
    await waitFor(() => Object.keys(held()).length === 2, 'the objects sent again whole', 30_000);
    await converged('after the receiver lost its state');
    expect(patches).toBeGreaterThanOrEqual(before);
    await put('a', '6');
    await converged('patching again after the resend');
  });
});
