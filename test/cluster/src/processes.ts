import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** A server process of the cluster: ours (spawned here) or adopted from a state file (spawned by `up`). */
export interface ManagedProcess {
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

const owned = new Set<number>();
let exitHookInstalled = false;

/**
 * Starts `command` in its own process group with output appended to `logFile`. Unless `outlive` is set,
 * the process is killed when this Node process exits, so a crashed test run leaves no apiserver behind.
 */
export function startProcess(command: string, args: readonly string[], logFile: string, outlive: boolean): ManagedProcess {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`test/cluster: could not start ${command}`);
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!outlive) {
    owned.add(pid);
    void exited.then(() => owned.delete(pid));
    installExitHook();
  }
  return { pid, exited };
}

/**
 * Adopts a process started by another Node process (the `up` command): we can only poll for its death, and
 * only start polling when someone waits, so an adopted process never keeps this one alive.
 */
export function adoptProcess(pid: number): ManagedProcess {
  let exited: Promise<void> | undefined;
  return {
    pid,
    get exited(): Promise<void> {
      exited ??= (async () => {
        while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
      })();
      return exited;
    },
  };
}

/** Whether a process with this pid exists (and is not a zombie we could see). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to the process; a process that is already gone is not an error. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Kills the process and waits until it is gone, at most `timeoutMs` (default 30 s). */
export async function killProcess(proc: ManagedProcess, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<void> {
  // A stopped process must be continued or SIGTERM waits forever.
  signalProcess(proc.pid, 'SIGCONT');
  signalProcess(proc.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([proc.exited.then(() => 'exited' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    signalProcess(proc.pid, 'SIGKILL');
    await proc.exited;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of owned) signalProcess(pid, 'SIGKILL');
  });
}
