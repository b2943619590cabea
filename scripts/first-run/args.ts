// What `pnpm start` hands to the daemon, and whether the daemon would find a cluster on its own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The quick-start config `pnpm start` runs unless `-c FILE` is given. */
export const QUICKSTART_CONFIG = fileURLToPath(new URL('../../examples/quickstart/config.yaml', import.meta.url));

/** The service-account token the daemon's in-cluster loader reads. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The arguments after `pnpm start`: pnpm passes the `--` of `pnpm start -- -c FILE` on as an argument, which
 * the daemon would take as the end of its options (and then refuse `-c FILE` as "too many arguments").
 */
export function userArgs(argv: readonly string[]): string[] {
  return argv[0] === '--' ? argv.slice(1) : [...argv];
}

/** Whether `args` sets one of the flags `names` (`-c FILE`, `--config=FILE`, the Go-style `-kubeconfig`...). */
export function hasFlag(args: readonly string[], names: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (names.some((name) => arg === name || arg.startsWith(`${name}=`))) return true;
  }
  return false;
}

/** Whether the daemon's `--config` (`-c`) is among `args`. */
export function givesConfig(args: readonly string[]): boolean {
  return hasFlag(args, ['-c', '--config']);
}

/**
 * The daemon's arguments: always `--dry-run` (the quick-start config has no endpoint), the quick-start config
 * unless the user gave one, then `extra` (defaults the caller picked), then the user's own, which win.
 */
export function daemonArgs(args: readonly string[], extra: readonly string[] = []): string[] {
  return ['--dry-run', ...(givesConfig(args) ? [] : ['-c', QUICKSTART_CONFIG]), ...extra, ...args];
}

/**
 * Whether the daemon would find cluster credentials, in its own order (packages/cli/src/kube-config.ts):
 * `--kubeconfig`, the files named by `KUBECONFIG`, `~/.kube/config`, then a pod's service account.
 */
export function hasClusterAccess(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (hasFlag(args, ['--kubeconfig', '-kubeconfig'])) return true;
  if ((env['KUBECONFIG'] ?? '').split(':').some((file) => file !== '')) return true;
  const home = env['HOME'];
  if (home !== undefined && home !== '' && existsSync(`${home}/.kube/config`)) return true;
  return env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
}
