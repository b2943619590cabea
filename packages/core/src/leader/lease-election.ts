import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient } from '../kube/kube-json-client.js';
import type { Logger } from '../logger.js';
import type { DeliveryGate } from './delivery-gate.js';
import { LeaseElector } from './lease-elector.js';
import { KubeLeaseLock } from './lease-lock.js';

/** Settings of `createLeaseElection`. Durations in milliseconds; the defaults are client-go's. */
export interface LeaseElectionOptions {
  /** Credentials and apiserver (its current context); read again on every request, so rotated tokens keep working. */
  readonly kubeConfig: KubeConfig;
  /** Namespace of the Lease (the daemon's own). RBAC: leases get, create and update there. */
  readonly namespace: string;
  /** Name of the Lease (`coordination.k8s.io/v1`). */
  readonly leaseName: string;
  /**
   * This replica's name: the Lease's `holderIdentity` is this plus `_` and a random suffix, so a restarted pod
   * never resumes its predecessor's lease. Default: the host name (the pod name in a pod).
   */
  readonly replicaName?: string | undefined;
  /** How long a standby waits after it last saw the Lease change before taking over. Default: 15 000 ms. */
  readonly leaseDurationMs?: number | undefined;
  /**
   * How long the leader keeps sending after its last successful renewal began; then it stands down. Must be less
   * than `leaseDurationMs`: the difference is the safety margin. Default: 10 000 ms.
   */
  readonly renewDeadlineMs?: number | undefined;
  /** Between two acquire or renew attempts. Default: 2 000 ms. */
  readonly retryPeriodMs?: number | undefined;
  /** Transitions and failed renewals. Default: silent. */
  readonly logger?: Logger | undefined;
}

/**
 * One replica's part in a leader election on a Lease. Pass `gate` as `WatchProxyOptions.gate`, and a shared
 * emit-cache store (`createClusterCacheStore` from `@watch-proxy/core/cache`) as `sharedCache`, so that a standby
 * taking over knows what the receivers hold.
 */
export interface LeaseElection {
  /** Open while this replica holds the Lease: `WatchProxyOptions.gate`. */
  readonly gate: DeliveryGate;
  /** The `holderIdentity` this replica writes into the Lease. */
  readonly identity: string;
  /** Starts competing for the Lease (in the background; `gate.onChange` tells when this replica leads). Idempotent. */
  start(): void;
  /** Stands down and releases the Lease, so a standby takes over at its next retry. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Creates (without starting, and without I/O) a leader election on the Lease `namespace/leaseName`, with
 * client-go's semantics: the leader renews every `retryPeriodMs`, a standby takes over once the Lease went
 * unchanged for `leaseDurationMs` by its own clock, and the leader stops sending `renewDeadlineMs` after its last
 * successful renewal began, before any standby can take over.
 */
export function createLeaseElection(options: LeaseElectionOptions): LeaseElection {
  const identity = `${options.replicaName ?? hostname()}_${randomBytes(4).toString('hex')}`;
  const elector = new LeaseElector({
    lock: new KubeLeaseLock({ client: new KubeJsonClient(options.kubeConfig), namespace: options.namespace, name: options.leaseName }),
    identity,
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: options.renewDeadlineMs,
    retryPeriodMs: options.retryPeriodMs,
    logger: options.logger,
  });
  return { gate: elector, identity, start: () => elector.start(), stop: () => elector.stop() };
}
