import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const buildScript = fileURLToPath(new URL('../build.sh', import.meta.url));

/** Where the three binaries live once built. */
export interface ClusterBinaries {
  readonly dir: string;
  readonly kubeApiserver: string;
  readonly etcd: string;
  readonly kubectl: string;
}

let cached: Promise<ClusterBinaries> | undefined;

/**
 * Builds (once per machine, then cached outside the repo by build.sh) and locates kube-apiserver, etcd and
 * kubectl. A cold build takes minutes, so it is started once per process and shared.
 */
export function ensureBinaries(): Promise<ClusterBinaries> {
  cached ??= build();
  return cached;
}

async function build(): Promise<ClusterBinaries> {
  try {
    const { stdout } = await run('bash', [buildScript], {
      maxBuffer: 64 * 1024 * 1024,
      // The cold build can take half an hour on a slow machine; never cut it short here.
      timeout: 0,
    });
    const dir = stdout.trim().split('\n').at(-1) ?? '';
    return { dir, kubeApiserver: `${dir}/kube-apiserver`, etcd: `${dir}/etcd`, kubectl: `${dir}/kubectl` };
  } catch (error) {
    cached = undefined;
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`test/cluster: building the Kubernetes binaries failed: ${stderr.split('\n').slice(-20).join('\n')}`, {
      cause: error,
    });
  }
}
