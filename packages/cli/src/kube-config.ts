/**
 * Where the daemon's cluster credentials come from: `--kubeconfig FILE`, else client-node's default chain
 * (`KUBECONFIG`, then `~/.kube/config`, then the pod's service account: in-cluster, as the original always was).
 */
import { existsSync } from 'node:fs';

import type { KubeConfig } from '@kubernetes/client-node';
import { newKubeConfig } from './kube-config-class.js';
import { checkBoundedFileSync } from '@watch-proxy/http-sink';

import { UsageError } from './usage-error.js';

/** The service-account token client-node's in-cluster loader reads. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Largest kubeconfig read: 4 MiB (embedded certificates for dozens of contexts fit easily). */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

/** client-node reads the file synchronously and whole: refuse a FIFO, a device or a huge file first. */
function checkKubeconfigFile(path: string, what: string): void {
  try {
    checkBoundedFileSync(path, MAX_KUBECONFIG_BYTES);
  } catch (error) {
    throw new UsageError(`${what} ${path}: ${(error as { reason?: string }).reason ?? 'cannot read file'}`);
  }
}

/** A loaded kubeconfig and, for the startup log line, where it came from (a path or `in-cluster`; no secrets). */
export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  readonly source: string;
  /** The API server URL of the current context. */
  readonly server: string;
}

/**
 * Loads cluster access. Throws {@link UsageError} (exit 2) when the file is missing or unparsable, or when no
 * source exists at all (client-node would otherwise silently fall back to `http://localhost:8080`).
 */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedKubeConfig {
  const kubeConfig = newKubeConfig();
  let source: string;
  try {
    if (path !== undefined) {
      if (!existsSync(path)) throw new UsageError(`--kubeconfig ${path}: file not found`);
      checkKubeconfigFile(path, '--kubeconfig');
      kubeConfig.loadFromFile(path);
      source = path;
    } else {
      const fromEnv = env['KUBECONFIG']?.split(':').find((file) => file !== '');
      const home = env['HOME'];
      const inCluster = env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
      if (fromEnv === undefined && (home === undefined || !existsSync(`${home}/.kube/config`)) && !inCluster) {
        throw new UsageError(
          'no Kubernetes credentials found: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a service account',
        );
      }
      for (const file of env['KUBECONFIG']?.split(':').filter((f) => f !== '') ?? []) if (existsSync(file)) checkKubeconfigFile(file, 'KUBECONFIG');
      if (fromEnv === undefined && home !== undefined && existsSync(`${home}/.kube/config`)) checkKubeconfigFile(`${home}/.kube/config`, 'kubeconfig');
      kubeConfig.loadFromDefault();
      source = fromEnv ?? (home !== undefined && existsSync(`${home}/.kube/config`) ? `${home}/.kube/config` : 'in-cluster');
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const where = path ?? 'the default kubeconfig';
    throw new UsageError(`cannot load ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new UsageError(`${source}: the current context names no cluster`);
  return { kubeConfig, source, server: cluster.server };
}
