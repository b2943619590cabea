/**
 * Idle CPU with the largest population watched and nothing changing: the real daemon (metrics and probe servers
 * on, as deployed) and WatchProxy in-process, measured over the same window, next to a plain watch client
 * process holding an idle watch on the same objects (the floor: what any Node process watching them costs).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.ts';
import { Daemon } from '../daemon.ts';
import { Host } from '../host-handle.ts';
import { syncNamespace, syncPath, ensurePopulation } from '../population.ts';
import { Receiver } from '../receiver.ts';
import { load1, processCpuMs, sleep, waitUntil } from '../stats.ts';

export async function idle(ctx: Context): Promise<void> {
  const n = ctx.sizes.populations[ctx.sizes.populations.length - 1]!;
  await ensurePopulation(ctx, n);
  const rv = (JSON.parse((await ctx.api.must('GET', `${syncPath(n)}?limit=1`)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const receiver = await Receiver.start();
  const host = await Host.start();
  const daemon = Daemon.start(ctx.cluster.kubeconfigPath, { namespace: syncNamespace(n), endpoints: [receiver.url], emitBatchMaxObjects: 500 });
  const plain = spawn(
    process.execPath,
    [fileURLToPath(new URL('../plain-watch.ts', import.meta.url)), JSON.stringify({ server: ctx.cluster.server, caFile: ctx.cluster.caFile, token: ctx.cluster.adminToken, path: syncPath(n), resourceVersion: rv })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await host.call('watch', { kubeconfig: ctx.cluster.kubeconfigPath, namespace: syncNamespace(n), url: receiver.url, batch: 500 });
    await daemon.waitSynced(600_000);
    await waitUntil(() => receiver.items >= 2 * n, 'both pipelines to deliver the initial list', 600_000);
    await once(plain.stdout!, 'data');
    // Let the start-up garbage be collected and timers settle before the window opens: a major GC of the
    // initial list's garbage (over 1 GB of heap at 100k objects) can land seconds after the sync.
    await sleep(ctx.smoke ? 1000 : 20_000);
    const load = load1();
    const daemonBefore = processCpuMs(daemon.pid);
    const plainBefore = processCpuMs(plain.pid!);
    const inProcess = await host.call<{ cpuMs: number; wallMs: number }>('idle', { ms: ctx.sizes.idleMs });
    const daemonMs = processCpuMs(daemon.pid) - daemonBefore;
    const plainMs = processCpuMs(plain.pid!) - plainBefore;
    const millicores = (cpuMs: number): number => (cpuMs / inProcess.wallMs) * 1000;
    ctx.detail('idle', { objects: n, wallMs: inProcess.wallMs, daemonCpuMs: daemonMs, inProcessCpuMs: inProcess.cpuMs, plainWatchCpuMs: plainMs, load });
    for (const [figure, cpuMs] of [
      ['daemon (CLI, metrics + probes on)', daemonMs],
      ['WatchProxy in-process', inProcess.cpuMs],
    ] as const) {
      ctx.report({
        scenario: 'idle-cpu',
        figure: `${figure} @ ${n.toLocaleString('en-US')} objects`,
        value: millicores(cpuMs),
        unit: 'mcores',
        floor: millicores(plainMs),
        floorLabel: 'plain watch process',
        ratio: millicores(cpuMs) / Math.max(millicores(plainMs), 0.01),
        target: '<= 2 mcores',
        met: millicores(cpuMs) <= 2,
        note: `${(inProcess.wallMs / 1000).toFixed(0)} s window; /proc resolution 10 ms of CPU`,
      });
    }
  } finally {
    plain.kill('SIGKILL');
    await daemon.stop();
    await host.stop();
    await receiver.close();
  }
}
