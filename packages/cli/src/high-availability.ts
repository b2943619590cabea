/**
 * Leader election for the daemon (`leaderElection` in the config): one Lease elector and one shared emit cache
 * store for the process lifetime (they outlive hot reloads: every pipeline a reload creates gets the same gate),
 * plus the `watch_proxy_leader` gauge and `watch_proxy_leader_transitions_total` counter.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigMapCacheStore, KubeJsonClient, KubeLeaseLock, LeaseElector } from '@watch-proxy/core';
import type { DeliveryGate, Logger, SharedCacheStore } from '@watch-proxy/core';
import { Counter, Gauge, type Registry } from 'prom-client';

import type { ConfigEnv, LeaderElectionConfig } from './config/index.js';

/** Where a pod's service account namespace is mounted. */
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The daemon's own namespace: `POD_NAMESPACE` (downward API), else the pod's service account namespace, else
 * the kubeconfig context's namespace, else `default`.
 */
export function daemonNamespace(kubeConfig: KubeConfig, env: ConfigEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const fromEnv = env['POD_NAMESPACE']?.trim();
  if (fromEnv) return fromEnv;
  try {
    const mounted = readFile(SERVICE_ACCOUNT_NAMESPACE).trim();
    if (mounted !== '') return mounted;
  } catch {
    // Not in a pod: fall through to the kubeconfig.
  }
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return context?.namespace ?? 'default';
}

/**
 * This replica's `holderIdentity`: the pod name (`POD_NAME`, else the host name, which is the pod name in a
 * pod) plus a random suffix, so a restarted pod never mistakes its predecessor's lease for its own.
 */
export function replicaIdentity(env: ConfigEnv): string {
  const name = env['POD_NAME']?.trim() || hostname();
  return `${name}_${randomUUID().slice(0, 8)}`;
}

/** The process-wide leader election of the daemon. */
export interface HighAvailability {
  /** Pass as `WatchProxyOptions.gate`. */
  readonly gate: DeliveryGate;
  /** Pass as `WatchProxyOptions.sharedCache`. */
  readonly sharedCache: SharedCacheStore;
  readonly identity: string;
  readonly namespace: string;
  /** True while this replica delivers. */
  readonly leading: boolean;
  /** Starts competing for the Lease. */
  start(): void;
  /** Stands down and releases the Lease. Call after the pipeline's shutdown (its last cache save needs the lease). */
  stop(): Promise<void>;
}

/** Options of {@link createHighAvailability}. */
export interface HighAvailabilityOptions {
  readonly config: LeaderElectionConfig;
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly env?: ConfigEnv | undefined;
  /** Where `watch_proxy_leader` and `watch_proxy_leader_transitions_total` are registered. Default: none. */
  readonly registry?: Registry | undefined;
}

/** Builds the elector (client-go semantics) and the ConfigMap store in the Lease's namespace. Does no I/O. */
export function createHighAvailability(options: HighAvailabilityOptions): HighAvailability {
  const { config, kubeConfig, logger } = options;
  const env = options.env ?? process.env;
  const namespace = config.namespace ?? daemonNamespace(kubeConfig, env);
  const identity = replicaIdentity(env);
  const client = new KubeJsonClient(kubeConfig);
  const elector = new LeaseElector({
    lock: new KubeLeaseLock({ client, namespace, name: config.leaseName }),
    identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    logger,
  });
  const sharedCache = new ConfigMapCacheStore({ client, namespace, name: config.leaseName });
  if (options.registry !== undefined) {
    const registers = [options.registry];
    new Gauge({
      name: 'watch_proxy_leader',
      help: '1 while this replica holds the leader election Lease and delivers, 0 while it stands by.',
      registers,
      collect() {
        this.set(elector.open ? 1 : 0);
      },
    });
    const transitions = new Counter({
      name: 'watch_proxy_leader_transitions_total',
      help: 'Times this replica became the leader or stood down.',
      labelNames: ['to'],
      registers,
    });
    elector.onChange((open) => transitions.inc({ to: open ? 'leader' : 'standby' }));
  }
  elector.onTransition(({ role, holder }) => logger.info({ role, holder, lease: `${namespace}/${config.leaseName}` }, 'leader election transition'));
  return {
    gate: elector,
    sharedCache,
    identity,
    namespace,
    get leading() {
      return elector.open;
    },
    start: () => elector.start(),
    stop: () => elector.stop(),
  };
}
