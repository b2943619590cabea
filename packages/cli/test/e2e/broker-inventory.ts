/**
 * What the broker e2e tests compare: the inventory a consumer rebuilds from a compacted Kafka topic or a NATS KV
 * bucket, and the cluster's own objects, both as uniqueId -> the object's identity and content.
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { TestCluster } from '@watch-proxy/test-cluster';

import { latestByKey, readTopic } from '../../../kafka-sink/test/helpers/read-topic.js';

/** One object as both sides hold it: enough to tell a stale or a ghost entry from the current object. */
export interface InventoryEntry {
  readonly name: string;
  readonly resourceVersion: string;
  readonly data: unknown;
}

/** uniqueId -> entry. */
export type Inventory = ReadonlyMap<string, InventoryEntry>;

interface ObjectShape {
  readonly metadata: { readonly name: string; readonly uid: string; readonly resourceVersion: string };
  readonly data?: unknown;
}

function entryOf(object: ObjectShape): InventoryEntry {
  return { name: object.metadata.name, resourceVersion: object.metadata.resourceVersion, data: object.data ?? null };
}

/** The ConfigMaps of `namespace` in the cluster, keyed as the daemon keys them (`<clusterName>-<uid>`). */
export async function clusterInventory(cluster: TestCluster, namespace: string, clusterName: string): Promise<Inventory> {
  const list = (await cluster.requestOk('GET', `/api/v1/namespaces/${namespace}/configmaps`)) as { items: ObjectShape[] };
  return new Map(list.items.map((object) => [`${clusterName}-${object.metadata.uid}`, entryOf(object)]));
}

/** The object a record or KV value holds: a watch-proxy payload item and a CloudEvent both carry it as `data`. */
function itemEntry(value: string): InventoryEntry {
  return entryOf((JSON.parse(value) as { data: ObjectShape }).data);
}

/** What a consumer that reads `topic` from the beginning holds at its end: latest value per key, tombstones remove. */
export async function kafkaInventory(address: string, topic: string): Promise<Inventory> {
  const view = latestByKey(await readTopic(address, topic));
  return new Map([...view].map(([key, value]) => [key, itemEntry(value)]));
}

/** What the KV bucket holds: every key whose latest operation is a PUT. */
export async function natsInventory(url: string, bucket: string): Promise<Inventory> {
  const connection = await connect({ servers: url, timeout: 5000 });
  try {
    const kv = await new Kvm(connection).open(bucket);
    const view = new Map<string, InventoryEntry>();
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry !== null && entry.operation === 'PUT') view.set(key, itemEntry(entry.string()));
    }
    return view;
  } finally {
    await connection.close();
  }
}

/** The raw value a KV bucket holds for `key` (a watch-proxy item or a CloudEvent, by the endpoint's format). */
export async function natsValue(url: string, bucket: string, key: string): Promise<string> {
  const connection = await connect({ servers: url, timeout: 5000 });
  try {
    const entry = await (await new Kvm(connection).open(bucket)).get(key);
    if (entry === null) throw new Error(`no ${key} in bucket ${bucket}`);
    return entry.string();
  } finally {
    await connection.close();
  }
}

/** Whether two inventories hold the same objects in the same versions. */
export function sameInventory(a: Inventory, b: Inventory): boolean {
  if (a.size !== b.size) return false;
  for (const [key, entry] of a) {
    const other = b.get(key);
    if (other === undefined || other.resourceVersion !== entry.resourceVersion || JSON.stringify(other.data) !== JSON.stringify(entry.data)) return false;
  }
  return true;
}

/** A short account of how `actual` differs from `expected`, for a failure message. */
export function inventoryDiff(expected: Inventory, actual: Inventory): string {
  const missing = [...expected].filter(([key]) => !actual.has(key)).map(([, e]) => e.name);
  const ghosts = [...actual].filter(([key]) => !expected.has(key)).map(([, e]) => e.name);
  const stale = [...expected].filter(([key, e]) => actual.has(key) && actual.get(key)?.resourceVersion !== e.resourceVersion).map(([, e]) => e.name);
  return `missing [${missing.join(', ')}], ghosts [${ghosts.join(', ')}], stale [${stale.join(', ')}]`;
}

/**
 * Waits until `read()` (the broker's view) equals the cluster's ConfigMaps of `namespace`, both read afresh each
 * round; fails after `timeoutMs` with how they still differ. A deadline, not a timing assumption.
 */
export async function converge(
  what: string,
  expected: () => Promise<Inventory>,
  read: () => Promise<Inventory>,
  timeoutMs = 120_000,
): Promise<Inventory> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    const want = await expected();
    try {
      const got = await read();
      if (sameInventory(want, got)) return got;
      last = inventoryDiff(want, got);
    } catch (error) {
      // The broker may be restarting: read again.
      last = `read failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
