import { Command } from 'commander';

import { version } from './version.js';

/**
 * Runs the watch-proxy command line with `argv` (without the node and script paths) and resolves to the
 * process exit code: 0 clean, 1 runtime failure, 2 usage or configuration error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('watch-proxy')
    .description('Watches Kubernetes resources and POSTs batched JSON about every change to HTTP endpoints.')
    .version(version, '-v, --version')
    .exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: unknown }).exitCode;
    return typeof code === 'number' ? code : 2;
  }
  process.stderr.write('watch-proxy: the daemon is not assembled yet (see the daemon issue)\n');
  return 2;
}
