/**
 * Runs the real daemon (`packages/cli/bin/watch-proxy.js`, the built CLI) as a subprocess with a generated
 * config, and tells when it finished its initial sync (its `initial sync done` log line).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileArgs } from './profile.ts';
import { clock, waitUntil } from './stats.ts';

export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/bin/watch-proxy.js', import.meta.url));

export interface DaemonConfig {
  readonly namespace: string;
  readonly resource?: string;
  readonly endpoints: readonly string[];
  /** Go duration; the default (absent) is the daemon's, 1 s. */
  readonly emitInterval?: string;
  readonly emitBatchMaxObjects: number;
}

export class Daemon {
  readonly process: ChildProcess;
  /** `clock()` when spawned. */
  readonly spawnedAt: number;
  /** `clock()` of the first log line: Node and the CLI are loaded, the pipeline is being set up. */
  firstLogAt: number | undefined;
  /** `clock()` when `initial sync done` was logged. */
  syncedAt: number | undefined;
  readonly #dir: string;
  #stderrTail = '';

  private constructor(child: ChildProcess, dir: string, spawnedAt: number) {
    this.process = child;
    this.#dir = dir;
    this.spawnedAt = spawnedAt;
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.firstLogAt ??= clock();
      this.#stderrTail = (this.#stderrTail + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (this.syncedAt === undefined && line.includes('initial sync done')) this.syncedAt = clock();
    });
    child.stdout?.resume();
  }

  /** Starts the daemon; resolves once the process is spawned (not synced: see `waitSynced`). */
  static start(kubeconfigPath: string, config: DaemonConfig): Daemon {
    const dir = mkdtempSync(join(tmpdir(), 'wp-bench-daemon-'));
    const file = join(dir, 'config.yaml');
    // JSON is YAML, so no YAML library is needed to write the config.
    writeFileSync(
      file,
      JSON.stringify({
        clusterName: 'bench',
        ...(config.emitInterval === undefined ? {} : { emitInterval: config.emitInterval }),
        emitBatchMaxObjects: config.emitBatchMaxObjects,
        // Ports 0: a deployed daemon serves both, and their timers count towards idle CPU.
        prometheusMetrics: { port: 0 },
        httpLiveness: { port: 0 },
        resources: [{ name: config.resource ?? 'configmaps', assetId: 'bench', namespaces: [config.namespace] }],
        remoteEndpoints: config.endpoints.map((url, i) => ({ type: 'http', name: `receiver-${i}`, url, timeout: '30s' })),
      }),
    );
    const spawnedAt = clock();
    const child = spawn(process.execPath, [...profileArgs('daemon'), CLI_BIN, '-c', file, '--kubeconfig', kubeconfigPath, '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Daemon(child, dir, spawnedAt);
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  async waitSynced(timeoutMs: number): Promise<number> {
    await waitUntil(
      () => {
        if (this.process.exitCode !== null) throw new Error(`bench: the daemon exited (${this.process.exitCode}): ${this.#stderrTail}`);
        return this.syncedAt !== undefined;
      },
      'the daemon to log "initial sync done"',
      timeoutMs,
    );
    return this.syncedAt!;
  }

  /** SIGTERM (drain and exit), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = once(this.process, 'exit');
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
