// `pnpm start`, the quick start (after `pnpm run build`). With cluster access (--kubeconfig, KUBECONFIG,
// ~/.kube/config, or a pod's service account) it runs the daemon on examples/quickstart/config.yaml with
// --dry-run, in this process, exactly as `watch-proxy` would. With none it starts the embedded test apiserver of
// test/cluster/ and shows the daemon at work there (scripts/first-run/). Arguments go to the daemon:
// `pnpm start -- -c my-config.yaml --output json`.
import { daemonArgs, hasClusterAccess, userArgs } from './first-run/args.ts';
import { runFirstRun } from './first-run/first-run.ts';

/** The CLI's entry point; a path rather than a package name because the repo root does not depend on it. */
const CLI = new URL('../packages/cli/dist/index.js', import.meta.url);

const args = userArgs(process.argv.slice(2));
if (hasClusterAccess(args, process.env)) {
  const cli = (await import(CLI.href)) as { main(argv: readonly string[]): Promise<number> };
  process.exitCode = await cli.main(daemonArgs(args));
} else {
  try {
    process.exitCode = await runFirstRun(args);
  } catch (error) {
    process.stderr.write(`first run: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
