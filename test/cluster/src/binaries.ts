import { execFile, spawn } from 'node:child_process';
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

/** Options of {@link ensureBinaries}. */
export interface EnsureBinariesOptions {
  /**
   * Called with each progress line of a build (the step, compiled-package counts, module downloads), as it
   * happens; nothing is reported when the cached binaries are found. Default: kept quiet (shown on failure).
   */
  readonly onProgress?: ((line: string) => void) | undefined;
}

let cached: Promise<ClusterBinaries> | undefined;

/**
 * Builds (once per machine, then cached outside the repo by build.sh) and locates kube-apiserver, etcd and
 * kubectl. A cold build takes minutes, so it is started once per process and shared; only the first caller's
 * `onProgress` sees its progress.
 */
export function ensureBinaries(options: EnsureBinariesOptions = {}): Promise<ClusterBinaries> {
  cached ??= build(options.onProgress).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

function build(onProgress: ((line: string) => void) | undefined): Promise<ClusterBinaries> {
  return new Promise((resolve, reject) => {
    // The cold build can take half an hour on a slow machine; never cut it short here.
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail: string[] = [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onProgress?.(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial !== '') tail.push(partial);
      if (code !== 0) {
        reject(new Error(`test/cluster: building the Kubernetes binaries failed (exit ${String(code)}): ${tail.join('\n')}`));
        return;
      }
      const dir = stdout.trim().split('\n').at(-1) ?? '';
      resolve({ dir, kubeApiserver: `${dir}/kube-apiserver`, etcd: `${dir}/etcd`, kubectl: `${dir}/kubectl` });
    });
  });
}

const helmScript = fileURLToPath(new URL('../build-helm.sh', import.meta.url));
let helm: Promise<string> | undefined;

/**
 * Builds (once per machine, then cached beside the Kubernetes binaries by build-helm.sh) Helm v4 from the Go
 * module proxy and resolves to the path of the `helm` binary.
 */
export function ensureHelm(): Promise<string> {
  helm ??= run('bash', [helmScript], { maxBuffer: 64 * 1024 * 1024, timeout: 0 }).then(
    ({ stdout }) => `${stdout.trim().split('\n').at(-1) ?? ''}/bin/helm`,
    (error: unknown) => {
      helm = undefined;
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(`test/cluster: building helm failed: ${stderr.split('\n').slice(-20).join('\n')}`, { cause: error });
    },
  );
  return helm;
}
