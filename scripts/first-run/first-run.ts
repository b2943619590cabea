// `pnpm start` on a machine with no cluster: starts the embedded test apiserver (test/cluster/), creates sample
// objects, runs the daemon against it with --dry-run so its changes are printed, changes the samples once the
// daemon has listed them, and says how to change objects there. Ctrl-C stops the daemon, then the apiserver.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureBinaries, startCluster } from '../../test/cluster/src/index.ts';
import type { TestCluster } from '../../test/cluster/src/index.ts';
import { daemonArgs, givesConfig, hasFlag } from './args.ts';
import { CHANGED_SAMPLES, changeSampleObjects, createSampleObjects, DEMO_NAMESPACE, mentions } from './sample-objects.ts';

/** The built daemon (`pnpm start` builds first). */
const BIN = fileURLToPath(new URL('../../packages/cli/bin/watch-proxy.js', import.meta.url));

/** How often a cold build says it is still going: go prints nothing while it compiles. */
const HEARTBEAT_MS = 30_000;

/** What the daemon logs once every resource was listed. */
const SYNCED = 'initial sync done';

function say(text: string): void {
  process.stderr.write(`first run: ${text}\n`);
}

/** Builds (or finds cached) kube-apiserver, etcd and kubectl, passing the build's lines on as they come. */
async function binariesWithProgress(): Promise<void> {
  const started = Date.now();
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await ensureBinaries({
      onProgress: (line) => {
        process.stderr.write(`${line}\n`);
        heartbeat ??= setInterval(() => {
          const minutes = Math.round((Date.now() - started) / 60_000);
          say(`still building the test apiserver (${String(minutes)} min so far; later runs use the cached binaries)`);
        }, HEARTBEAT_MS);
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
}

function hint(cluster: TestCluster): string {
  const kubectl = join(cluster.binDir, 'kubectl');
  return [
    `watch-proxy is watching a local test apiserver (${cluster.server}). Change objects there and see each change above:`,
    `  export KUBECONFIG=${cluster.kubeconfigPath}`,
    `  ${kubectl} -n ${DEMO_NAMESPACE} create configmap hello --from-literal=greeting=hi`,
    `  ${kubectl} -n ${DEMO_NAMESPACE} label configmap hello tier=demo`,
    `  ${kubectl} -n ${DEMO_NAMESPACE} delete configmap hello`,
    'Ctrl-C stops watch-proxy and the test apiserver (its data goes with it). To watch a real cluster, give it a',
    'kubeconfig: KUBECONFIG, ~/.kube/config, or pnpm start -- --kubeconfig FILE.',
    '',
  ].join('\n');
}

/** Runs the first run with the user's daemon arguments; resolves to the exit code (the daemon's). */
export async function runFirstRun(args: readonly string[]): Promise<number> {
  say('no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config, not in a pod): starting a local test apiserver');
  await binariesWithProgress();
  const cluster = await startCluster();
  try {
    await createSampleObjects(cluster);
    say(`test apiserver ready at ${cluster.server}; sample objects created in namespace ${DEMO_NAMESPACE}`);
    // stdout and stderr are piped through here, so the daemon no longer sees the terminal: choose for it.
    const extra = [
      '--kubeconfig',
      cluster.kubeconfigPath,
      ...(process.stdout.isTTY && !hasFlag(args, ['-o', '--output']) ? ['--output', 'text'] : []),
      ...(process.stderr.isTTY && !hasFlag(args, ['--log-format']) ? ['--log-format', 'pretty'] : []),
    ];
    return await runDaemon(daemonArgs(args, extra), cluster, givesConfig(args));
  } finally {
    await cluster.stop();
  }
}

/**
 * Runs the daemon in its own process group, so a Ctrl-C reaches it once, through here; forwards its output and
 * changes the samples once it has printed them. `ownConfig`: the user gave `-c`, which may not watch them.
 */
function runDaemon(argv: readonly string[], cluster: TestCluster, ownConfig: boolean): Promise<number> {
  const child = spawn(process.execPath, [BIN, ...argv], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (signal: NodeJS.Signals): void => {
    // SIGHUP (the terminal went away) stops it too: a reload would leave it running with nobody watching.
    child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  // `pnpm start | head`: stop the daemon like it stops itself when its own stdout closes.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') child.kill('SIGTERM');
  };
  process.stdout.on('error', onStdoutError);
  child.stdout.pipe(process.stdout, { end: false });
  child.stderr.pipe(process.stderr, { end: false });

  // The samples are changed once the daemon has printed them: changed earlier, an add still queued would take
  // the update in (one add of the newer state) and the demo would show no update. The hint follows the delete.
  let state: 'listing' | 'changing' | 'changed' | 'done' = 'listing';
  const printed = new Set<string>();
  let recent = '';
  const hintAfterDelete = (): void => {
    if (state !== 'changed' || !mentions(recent, 'old-settings')) return;
    state = 'done';
    process.stderr.write(hint(cluster));
  };
  child.stdout.on('data', (chunk: Buffer) => {
    recent = (recent + chunk.toString()).slice(-4096);
    if (state === 'listing') {
      for (const name of CHANGED_SAMPLES) if (mentions(recent, name)) printed.add(name);
      if (printed.size < CHANGED_SAMPLES.length) return;
      state = 'changing';
      recent = '';
      changeSampleObjects(cluster).then(
        () => {
          state = 'changed';
          hintAfterDelete();
        },
        (error: unknown) => {
          state = 'done';
          say(`could not change the sample objects: ${(error as Error).message}`);
          process.stderr.write(hint(cluster));
        },
      );
    } else {
      hintAfterDelete();
    }
  });
  // A config of the user's own may not watch the samples: say how to change objects once it has listed.
  let logs = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (state !== 'listing' || !ownConfig) return;
    logs = (logs + chunk.toString()).slice(-4096);
    if (!logs.includes(SYNCED)) return;
    state = 'done';
    process.stderr.write(hint(cluster));
  });

  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      process.stdout.off('error', onStdoutError);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}
