/**
 * `leaderElection` in the daemon: one Lease elector per process (it outlives config reloads, so a reload does
 * not hand the lease over) and the ConfigMaps where the leader shares its emit caches with standbys.
 */
import { readFileSync } from 'node:fs';

import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@watch-proxy/core';
import { createClusterCacheStore } from '@watch-proxy/core/cache';
import type { SharedCacheStore } from '@watch-proxy/core/cache';
import { createLeaseElection } from '@watch-proxy/core/leader';
import type { DeliveryGate } from '@watch-proxy/core/leader';

import type { ConfigEnv, LeaderElectionConfig } from './config/index.js';

/** The service account's namespace file in a pod. */
const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A running (or startable) election and its shared cache. */
export interface LeaderElection {
  /** What the pipeline consults before every send. */
  readonly gate: DeliveryGate;
  readonly sharedCache: SharedCacheStore;
  /** Identifies the settings: a reload with other settings replaces the election. */
  readonly key: string;
  /** Starts competing for the lease. */
  start(): void;
  /** Stands down and releases the lease (a standby takes over at its next retry). */
  stop(): Promise<void>;
}

/**
 * Where the Lease (or the state store) lives: `configured`, else the daemon's own namespace: `POD_NAMESPACE`
 * (downward API), the pod's service account namespace, the kubeconfig context's, else `default`.
 */
export function daemonNamespace(configured: string | undefined, kubeConfig: KubeConfig, env: ConfigEnv): string {
  if (configured !== undefined) return configured;
  const fromEnv = env['POD_NAMESPACE']?.trim();
  if (fromEnv) return fromEnv;
  try {
    const fromPod = readFileSync(POD_NAMESPACE_FILE, 'utf8').trim();
    if (fromPod !== '') return fromPod;
  } catch {
    // Not in a pod: fall through to the kubeconfig.
  }
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return context?.namespace || 'default';
}

/**
 * Creates the election described by `config` (not started; no I/O): core's Lease election and the ConfigMaps
 * where the leader shares its emit caches, in the daemon's namespace. The replica's name in the Lease is the pod
 * name (`POD_NAME`, else `HOSTNAME`, which is the pod name in a pod); core appends a random suffix, so a restarted
 * pod never resumes a predecessor's lease.
 */
export function createLeaderElection(config: LeaderElectionConfig, kubeConfig: KubeConfig, logger: Logger, env: ConfigEnv = process.env): LeaderElection {
  const namespace = daemonNamespace(config.namespace, kubeConfig, env);
  const election = createLeaseElection({
    kubeConfig,
    namespace,
    leaseName: config.leaseName,
    replicaName: env['POD_NAME']?.trim() || env['HOSTNAME']?.trim() || undefined,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    logger,
  });
  return {
    gate: election.gate,
    // Named after the Lease, so each election has its own.
    sharedCache: createClusterCacheStore({ kubeConfig, namespace, name: config.leaseName }),
    key: JSON.stringify({ ...config, namespace }),
    start: () => election.start(),
    stop: () => election.stop(),
  };
}
