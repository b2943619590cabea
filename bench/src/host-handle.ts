/** The runner's side of host.ts: spawn with --expose-gc, call commands over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { profileArgs } from './profile.ts';

interface Answer {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export class Host {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (answer: Answer) => {
      const waiter = this.#waiting.get(answer.id);
      this.#waiting.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.result);
      else waiter?.reject(new Error(`host: ${answer.error ?? 'failed'}`));
    });
    child.on('exit', (code) => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(`host exited (${String(code)})`));
      this.#waiting.clear();
    });
  }

  static async start(): Promise<Host> {
    const child = fork(fileURLToPath(new URL('./host.ts', import.meta.url)), [], {
      execArgv: ['--expose-gc', ...profileArgs('host')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const host = new Host(child);
    await once(child, 'message'); // 'ready', sent after the baseline memory was taken
    return host;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  call<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, cmd, ...args });
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    await this.call('exit').catch(() => {});
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
