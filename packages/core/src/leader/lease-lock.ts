import type { KubeJsonClient } from '../kube/kube-json-client.js';
import { KubeRequestError } from '../kube/kube-json-client.js';

/** What a Lease says about its holder (client-go's `LeaderElectionRecord`). Times are RFC 3339 (MicroTime). */
export interface LeaderRecord {
  /** Empty when released. */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

/** A record plus the `resourceVersion` that an update must quote (optimistic concurrency). */
export interface ObservedRecord {
  readonly record: LeaderRecord;
  readonly resourceVersion: string;
}

/**
 * Where the election record lives. `create` and `update` resolve `false` when someone else won the race
 * (409 Conflict: the object exists, or the quoted resourceVersion is stale) and reject on other failures.
 */
export interface LeaseLock {
  /** A description for logs: `namespace/name`. */
  readonly describe: string;
  get(timeoutMs: number): Promise<ObservedRecord | undefined>;
  create(record: LeaderRecord, timeoutMs: number): Promise<ObservedRecord | false>;
  update(record: LeaderRecord, resourceVersion: string, timeoutMs: number): Promise<ObservedRecord | false>;
}

interface LeaseObject {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly spec?: Partial<LeaderRecord>;
}

function fromLease(lease: LeaseObject): ObservedRecord {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: spec.acquireTime ?? '',
      renewTime: spec.renewTime ?? '',
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

/** Options of `KubeLeaseLock`. */
export interface KubeLeaseLockOptions {
  readonly client: KubeJsonClient;
  readonly namespace: string;
  readonly name: string;
  /** Labels put on a Lease this lock creates. Default: `app.kubernetes.io/name: watch-proxy`. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** A `coordination.k8s.io/v1` Lease as the lock (client-go's `LeaseLock`). */
export class KubeLeaseLock implements LeaseLock {
  readonly describe: string;
  readonly #o: KubeLeaseLockOptions;
  readonly #base: string;

  constructor(options: KubeLeaseLockOptions) {
    this.#o = options;
    this.describe = `${options.namespace}/${options.name}`;
    this.#base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  }

  async get(timeoutMs: number): Promise<ObservedRecord | undefined> {
    try {
      const lease = await this.#o.client.request<LeaseObject>({ method: 'GET', path: `${this.#base}/${encodeURIComponent(this.#o.name)}`, timeoutMs });
      return fromLease(lease);
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async create(record: LeaderRecord, timeoutMs: number): Promise<ObservedRecord | false> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#o.name, namespace: this.#o.namespace, labels: this.#o.labels ?? { 'app.kubernetes.io/name': 'watch-proxy' } },
      spec: record,
    };
    return this.#write('POST', this.#base, body, timeoutMs);
  }

  async update(record: LeaderRecord, resourceVersion: string, timeoutMs: number): Promise<ObservedRecord | false> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      // The quoted resourceVersion makes the apiserver refuse (409) an update based on a stale read.
      metadata: { name: this.#o.name, namespace: this.#o.namespace, resourceVersion, labels: this.#o.labels ?? { 'app.kubernetes.io/name': 'watch-proxy' } },
      spec: record,
    };
    return this.#write('PUT', `${this.#base}/${encodeURIComponent(this.#o.name)}`, body, timeoutMs);
  }

  async #write(method: 'POST' | 'PUT', path: string, body: unknown, timeoutMs: number): Promise<ObservedRecord | false> {
    try {
      return fromLease(await this.#o.client.request<LeaseObject>({ method, path, body, timeoutMs }));
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 409) return false;
      throw error;
    }
  }
}
