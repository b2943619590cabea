import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bin: e2e tests run what users run (`pnpm test` builds first). */
export const BIN = fileURLToPath(new URL('../../bin/watch-proxy.js', import.meta.url));

/** How a finished run ended. */
export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin to completion with `args`; `env` replaces the environment (PATH and HOME kept unless given). */
export function runBin(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawnBin(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`watch-proxy ${args.join(' ')} did not exit within ${String(timeoutMs)} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the bin and leaves it running. */
export function spawnBin(args: readonly string[], env: Record<string, string | undefined> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
