import { KubeRequestError } from './kube/kube-json-client.js';
import type { Logger } from './logger.js';

/** First retry after this many ms; doubled per failure up to `MAX_RETRY_MS`, with jitter. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** What a `ClusterIdentity` needs. */
export interface ClusterIdentityOptions {
  /** The cluster's name for messages (`''`: the single cluster of a proxy without `clusters`). */
  readonly cluster: string;
  /** Reads the UID (`readClusterUid` through the cluster's kubeconfig). */
  readonly read: () => Promise<string>;
  readonly logger: Logger;
  readonly random: () => number;
  /** Called once, with the UID, when it was read (not after `stop`). */
  readonly onKnown: (uid: string) => void;
}

/** Why the UID could not be read, as an operator can act on it: the missing permission when RBAC said no. */
export function describeClusterUidError(cluster: string, error: unknown): string {
  const where = cluster === '' ? 'the cluster' : `cluster "${cluster}"`;
  if (error instanceof KubeRequestError && error.status === 403) {
    return `clusterUid: ${where} forbids get on namespaces/kube-system (grant it: apiGroups [""], resources [namespaces], resourceNames [kube-system], verbs [get]); its batches wait`;
  }
  const why = error instanceof Error ? error.message : String(error);
  return `clusterUid: cannot read the kube-system Namespace of ${where} (${why}); its batches wait`;
}

/**
 * Reads one cluster's identity (the `kube-system` Namespace UID) for `clusterUid`, retrying with backoff (1 s
 * doubling to 60 s, jittered) until it succeeds or is stopped, and logging each failure with its reason. Its
 * cluster's lanes start only once it is known, so no batch of it goes out without `meta.clusterUid`; the other
 * clusters do not wait for it.
 */
export class ClusterIdentity {
  readonly #o: ClusterIdentityOptions;
  #uid: string | undefined;
  #error: string | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ClusterIdentityOptions) {
    this.#o = options;
  }

  /** The UID once read. */
  get uid(): string | undefined {
    return this.#uid;
  }

  /** Why the last attempt failed, while the UID is unknown. */
  get error(): string | undefined {
    return this.#error;
  }

  /** First attempt now. */
  start(): void {
    void this.#attempt();
  }

  /** No further attempt, and `onKnown` is not called any more. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    const o = this.#o;
    let uid: string;
    try {
      uid = await o.read();
    } catch (error) {
      if (this.#stopped) return;
      this.#failures++;
      const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.#failures - 1));
      const retryInMs = Math.round(ceiling / 2 + (o.random() * ceiling) / 2);
      this.#error = describeClusterUidError(o.cluster, error);
      o.logger.warn({ retryInMs, failures: this.#failures }, this.#error);
      this.#timer = setTimeout(() => void this.#attempt(), retryInMs);
      this.#timer.unref();
      return;
    }
    if (this.#stopped) return;
    this.#uid = uid;
    this.#error = undefined;
    if (this.#failures > 0) o.logger.info({ clusterUid: uid, failures: this.#failures }, 'clusterUid: read the kube-system Namespace; the cluster\'s batches flow');
    o.onKnown(uid);
  }
}
