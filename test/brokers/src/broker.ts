import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '@watch-proxy/test-cluster/free-port';
import { adoptProcess, isAlive, killProcess, startProcess, type ManagedProcess } from '@watch-proxy/test-cluster/processes';

import { ensureBroker, type BrokerKind } from './binaries.ts';
import { kafkaAddress, kafkaLaunch } from './kafka.ts';
import type { LaunchSpec } from './launch-spec.ts';
import { natsAddress, natsLaunch } from './nats.ts';

/** Options of {@link startKafka} and {@link startNats}. */
export interface StartBrokerOptions {
  /** Folder for data, log, configuration and `address`. Default: a new temp folder, removed by `stop()`. */
  readonly dir?: string;
  /** Leave the broker running after this process exits (the `pnpm brokers up` command). Default false. */
  readonly outlive?: boolean;
  /** How long to wait for the broker to accept clients, in ms. Default 180 000 (Kafka's JVM on a loaded machine). */
  readonly readyTimeoutMs?: number;
}

/** Options of {@link TestBroker.restart}. */
export interface RestartOptions {
  /** SIGTERM and wait for a clean shutdown instead of SIGKILL (a crash). Default false. */
  readonly graceful?: boolean;
}

interface BrokerState {
  readonly kind: BrokerKind;
  readonly home: string;
  readonly ports: readonly number[];
  readonly pid: number;
}

const STATE_FILE = 'broker.json';
const LOG_FILE = 'broker.log';
// Kafka needs a client and a controller port; NATS one client port.
const PORTS: Readonly<Record<BrokerKind, number>> = { kafka: 2, nats: 1 };
const LAUNCH: Readonly<Record<BrokerKind, (home: string, dir: string, ports: readonly number[]) => Promise<LaunchSpec>>> = {
  kafka: kafkaLaunch,
  nats: natsLaunch,
};
const ADDRESS: Readonly<Record<BrokerKind, (port: number) => string>> = { kafka: kafkaAddress, nats: natsAddress };

/**
 * A real broker on 127.0.0.1: Apache Kafka (single-node KRaft) or nats-server with JetStream. Its address never
 * changes across {@link restart}, {@link kill} and {@link start}, and its data is kept, as a real restart would.
 * Create it with {@link startKafka}, {@link startNats} or {@link attachBroker}.
 */
export class TestBroker {
  /** `kafka` or `nats`. */
  readonly kind: BrokerKind;
  /** The broker's folder: `address`, `broker.log`, configuration and data. */
  readonly dir: string;
  /** Kafka: `127.0.0.1:<port>` (a bootstrap broker); NATS: `nats://127.0.0.1:<port>`. Also in `<dir>/address`. */
  readonly address: string;

  #state: BrokerState;
  #process: ManagedProcess | undefined;
  #ownsDir: boolean;
  #outlive: boolean;
  #readyTimeoutMs: number;

  /** @internal use {@link startKafka}, {@link startNats} or {@link attachBroker}. */
  constructor(dir: string, state: BrokerState, proc: ManagedProcess | undefined, opts: { ownsDir: boolean; outlive: boolean; readyTimeoutMs: number }) {
    this.kind = state.kind;
    this.dir = dir;
    this.address = ADDRESS[state.kind](state.ports[0]!);
    this.#state = state;
    this.#process = proc;
    this.#ownsDir = opts.ownsDir;
    this.#outlive = opts.outlive;
    this.#readyTimeoutMs = opts.readyTimeoutMs;
  }

  /** Whether the broker process is running. */
  get running(): boolean {
    return this.#process !== undefined && isAlive(this.#process.pid);
  }

  /** Kills the broker (SIGKILL by default: a crash, connections reset) and waits until it is gone. Data is kept. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.#process === undefined) return;
    await killProcess(this.#process, signal, 60_000);
    this.#process = undefined;
  }

  /** Starts the broker again after {@link kill}, on the same port with the same data; resolves once it is ready. */
  async start(): Promise<void> {
    if (this.running) return;
    const spec = await LAUNCH[this.kind](this.#state.home, this.dir, this.#state.ports);
    this.#process = await launch(spec, this.dir, this.#outlive, this.#readyTimeoutMs);
    this.#state = { ...this.#state, pid: this.#process.pid };
    writeState(this.dir, this.#state);
  }

  /** Kills and starts the broker: same address, same data. */
  async restart(options: RestartOptions = {}): Promise<void> {
    await this.kill(options.graceful === true ? 'SIGTERM' : 'SIGKILL');
    await this.start();
  }

  /** Stops the broker (SIGTERM, SIGKILL after 60 s) and removes its folder when this helper created it. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts Apache Kafka 4.x (single-node KRaft) on free loopback ports; resolves once it accepts clients. */
export function startKafka(options: StartBrokerOptions = {}): Promise<TestBroker> {
  return startBroker('kafka', options);
}

/** Starts nats-server with JetStream on a free loopback port; resolves once it accepts clients. */
export function startNats(options: StartBrokerOptions = {}): Promise<TestBroker> {
  return startBroker('nats', options);
}

/** Adopts a broker started by another process (`pnpm brokers up`) from its folder. */
export function attachBroker(dir: string): TestBroker {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) throw new Error(`test/brokers: no broker in ${dir} (missing ${STATE_FILE})`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as BrokerState;
  const proc = isAlive(state.pid) ? adoptProcess(state.pid) : undefined;
  return new TestBroker(dir, state, proc, { ownsDir: false, outlive: true, readyTimeoutMs: 180_000 });
}

async function startBroker(kind: BrokerKind, options: StartBrokerOptions): Promise<TestBroker> {
  const home = await ensureBroker(kind);
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `wp-${kind}-`)));
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, STATE_FILE)) && isAlive(attachBrokerState(dir).pid)) {
    throw new Error(`test/brokers: a broker is already running in ${dir} (pnpm brokers down ${dir})`);
  }
  const outlive = options.outlive ?? false;
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  // A free port can be taken by someone else before the broker binds it: try fresh ports a few times.
  for (let attempt = 1; ; attempt++) {
    const ports = await distinctFreePorts(PORTS[kind]);
    const spec = await LAUNCH[kind](home, dir, ports);
    try {
      const proc = await launch(spec, dir, outlive, readyTimeoutMs);
      const state: BrokerState = { kind, home, ports, pid: proc.pid };
      writeState(dir, state);
      const broker = new TestBroker(dir, state, proc, { ownsDir, outlive, readyTimeoutMs });
      writeFileSync(join(dir, 'address'), `${broker.address}\n`);
      return broker;
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortInUseError)) {
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

function attachBrokerState(dir: string): BrokerState {
  return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as BrokerState;
}

function writeState(dir: string, state: BrokerState): void {
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

class PortInUseError extends Error {}

/**
 * Spawns the broker and waits (polling, with a deadline) until it logged its ready line after this start and its
 * client port accepts a connection. A process that exits first fails with the tail of its log.
 */
async function launch(spec: LaunchSpec, dir: string, outlive: boolean, readyTimeoutMs: number): Promise<ManagedProcess> {
  const logFile = join(dir, LOG_FILE);
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const proc = startProcess(spec.command, spec.args, logFile, outlive);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const log = readFileSync(logFile).subarray(logStart).toString('utf8');
    if (exited || !isAlive(proc.pid)) {
      const tail = log.split('\n').slice(-30).join('\n');
      if (/Address already in use|BindException/i.test(log)) throw new PortInUseError(`test/brokers: port in use:\n${tail}`);
      throw new Error(`test/brokers: ${spec.command} exited before it was ready; the end of ${logFile}:\n${tail}`);
    }
    if (log.includes(spec.readyLine) && (await accepts(spec.port))) return proc;
    if (Date.now() > deadline) {
      await killProcess(proc, 'SIGKILL');
      throw new Error(`test/brokers: ${spec.command} was not ready within ${readyTimeoutMs} ms; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
