import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ensureBinaries, type ClusterBinaries } from './binaries.ts';
import { freePort } from './free-port.ts';
import { writeKubeconfigFile } from './kubeconfig.ts';
import { mintToken, type MintTokenOptions, type MintedToken } from './mint-token.ts';
import {
  adoptProcess,
  isAlive,
  killProcess,
  signalProcess,
  startProcess,
  type ManagedProcess,
} from './processes.ts';

const execFileAsync = promisify(execFile);

/** Options for {@link startCluster}. */
export interface StartClusterOptions {
  /** Folder for data, logs, kubeconfig and `bin/`. Default: a new temp folder, removed by `stop()`. */
  readonly dir?: string;
  /** Extra kube-apiserver flags, e.g. `['--watch-cache-sizes=configmaps#0']` to force 410s via compaction. */
  readonly apiserverArgs?: readonly string[];
  /** Leave the servers running after this process exits (the `pnpm cluster up` command). Default false. */
  readonly outlive?: boolean;
  /** How long to wait for `/readyz`, in ms. Default 120 000 (a 2-core machine needs 10-30 s). */
  readonly readyTimeoutMs?: number;
}

/** The answer of {@link TestCluster.request}. `body` is parsed JSON when the server sent JSON, else text. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Options of {@link TestCluster.request}. */
export interface RequestOptions {
  /** Content type of a string body. Default `application/json`. */
  readonly contentType?: string;
  /** Give up after this many milliseconds. Default 60 000. */
  readonly timeoutMs?: number;
}

/** What `kubectl` printed and how it exited. */
export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

interface ClusterState {
  readonly binDir: string;
  readonly etcdPid: number;
  readonly etcdClientPort: number;
  readonly apiserverPid: number;
  readonly apiserverPort: number;
  readonly apiserverArgs: readonly string[];
  readonly adminToken: string;
}

const STATE_FILE = 'cluster.json';

/**
 * A real etcd + kube-apiserver on 127.0.0.1 with RBAC on, plus the fault operations integration tests need.
 * Create it with {@link startCluster} (or {@link attachCluster} for one started by `pnpm cluster up`).
 */
export class TestCluster {
  /** The cluster's folder: `kubeconfig`, `bin/`, `logs/`, `pki/`, data. */
  readonly dir: string;
  /** Admin kubeconfig (user `admin` in `system:masters`). */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** CA bundle that verifies the apiserver's serving certificate. */
  readonly caFile: string;
  /** Bearer token of the admin user. */
  readonly adminToken: string;
  /** Folder with `kube-apiserver`, `etcd` and `kubectl`. */
  readonly binDir: string;
  /** etcd's client URL (`http://127.0.0.1:<port>`). */
  readonly etcdUrl: string;

  #state: ClusterState;
  #etcd: ManagedProcess;
  #apiserver: ManagedProcess | undefined;
  #ownsDir: boolean;
  #outlive: boolean;
  #readyTimeoutMs: number;
  #stopped = false;

  /** @internal use {@link startCluster} or {@link attachCluster}. */
  constructor(
    dir: string,
    state: ClusterState,
    procs: { etcd: ManagedProcess; apiserver: ManagedProcess | undefined },
    opts: { ownsDir: boolean; outlive: boolean; readyTimeoutMs: number },
  ) {
    this.dir = dir;
    this.kubeconfigPath = join(dir, 'kubeconfig');
    this.server = `https://127.0.0.1:${state.apiserverPort}`;
    this.caFile = join(dir, 'pki', 'apiserver.crt');
    this.adminToken = state.adminToken;
    this.binDir = join(dir, 'bin');
    this.etcdUrl = `http://127.0.0.1:${state.etcdClientPort}`;
    this.#state = state;
    this.#etcd = procs.etcd;
    this.#apiserver = procs.apiserver;
    this.#ownsDir = opts.ownsDir;
    this.#outlive = opts.outlive;
    this.#readyTimeoutMs = opts.readyTimeoutMs;
  }

  /** Kills the apiserver (SIGKILL by default: a crash, connections reset) and waits until it is gone. */
  async stopApiserver(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.#apiserver === undefined) return;
    await killProcess(this.#apiserver, signal);
    this.#apiserver = undefined;
    this.#save();
  }

  /** Starts the apiserver again on the same port, with the same certificates and tokens; waits for /readyz. */
  async startApiserver(): Promise<void> {
    if (this.#apiserver !== undefined && isAlive(this.#apiserver.pid)) return;
    this.#apiserver = startProcess(
      join(this.binDir, 'kube-apiserver'),
      this.#state.apiserverArgs,
      join(this.dir, 'logs', 'kube-apiserver.log'),
      this.#outlive,
    );
    this.#save();
    await waitReady(this.server, this.caFile, this.#readyTimeoutMs, this.#apiserver, join(this.dir, 'logs', 'kube-apiserver.log'));
  }

  /** Kills and restarts the apiserver. Resource versions continue (same etcd); watch caches start empty. */
  async restartApiserver(): Promise<void> {
    await this.stopApiserver();
    await this.startApiserver();
  }

  /** SIGSTOP: the apiserver keeps its sockets open but answers nothing (a silent, hung server). */
  freezeApiserver(): void {
    if (this.#apiserver !== undefined) signalProcess(this.#apiserver.pid, 'SIGSTOP');
  }

  /** SIGCONT after {@link freezeApiserver}. */
  thawApiserver(): void {
    if (this.#apiserver !== undefined) signalProcess(this.#apiserver.pid, 'SIGCONT');
  }

  /**
   * Compacts etcd's history up to its current revision and returns that revision. Watches from an older
   * resourceVersion that are not served by the watch cache then fail with 410 Gone.
   */
  async compactEtcd(): Promise<number> {
    const status = (await postJson(`${this.etcdUrl}/v3/maintenance/status`, {})) as { header?: { revision?: string } };
    const revision = Number(status.header?.revision);
    if (!Number.isSafeInteger(revision)) throw new Error(`test/cluster: etcd status had no revision: ${JSON.stringify(status)}`);
    await postJson(`${this.etcdUrl}/v3/kv/compaction`, { revision: String(revision), physical: true });
    return revision;
  }

  /**
   * A REST call as the admin user. `body` is sent as JSON unless it is a string (then with `contentType`,
   * e.g. `application/merge-patch+json`). Times out after `timeoutMs` (default 60 000).
   */
  request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    return apiRequest(
      this.server,
      this.caFile,
      this.adminToken,
      method,
      path,
      body,
      options.contentType ?? 'application/json',
      options.timeoutMs,
    );
  }

  /**
   * Like {@link request}, for setup steps: resolves to the parsed body of a 2xx answer and throws, naming
   * the status and the start of the body, on anything else.
   */
  async requestOk(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.request(method, path, body, options);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res.body as Record<string, unknown>;
  }

  /** Runs this cluster's kubectl with the admin kubeconfig. Never throws for a non-zero exit; check `code`. */
  async kubectl(args: readonly string[]): Promise<KubectlResult> {
    try {
      const { stdout, stderr } = await execFileAsync(join(this.binDir, 'kubectl'), [...args], {
        env: { ...process.env, KUBECONFIG: this.kubeconfigPath },
        maxBuffer: 256 * 1024 * 1024,
      });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; code?: unknown };
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? String(error), code: typeof e.code === 'number' ? e.code : 1 };
    }
  }

  /**
   * Creates a ServiceAccount with exactly the given permissions and returns a token for it plus a kubeconfig
   * that uses it: the least-privilege identity a deployed daemon has.
   */
  mintToken(options: MintTokenOptions): Promise<MintedToken> {
    return mintToken(this, options);
  }

  /** Stops both servers and, for a temp folder, removes it with all data. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#apiserver !== undefined) await killProcess(this.#apiserver, 'SIGKILL');
    await killProcess(this.#etcd, 'SIGKILL');
    this.#apiserver = undefined;
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
    else for (const sub of ['etcd', STATE_FILE]) rmSync(join(this.dir, sub), { recursive: true, force: true });
  }

  #save(): void {
    const state: ClusterState = { ...this.#state, apiserverPid: this.#apiserver?.pid ?? 0 };
    this.#state = state;
    writeFileSync(join(this.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  }
}

/**
 * Builds the binaries if needed (cached per machine) and starts etcd + kube-apiserver on free loopback
 * ports. Resolves once `/readyz` answers 200. Call `stop()` when done.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const bins = await ensureBinaries();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'wp-cluster-')));
  const outlive = options.outlive ?? false;
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  prepareDir(dir, bins);

  // A port handed out by freePort can be taken before etcd or the apiserver binds it; try again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await boot(dir, options.apiserverArgs ?? [], { ownsDir, outlive, readyTimeoutMs });
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('address already in use')) throw error;
    }
  }
}

/** Re-attaches to a cluster started by `pnpm cluster up <dir>` (for `down` and the fault subcommands). */
export function attachCluster(dir: string): TestCluster {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) throw new Error(`test/cluster: no cluster in ${dir} (missing ${STATE_FILE})`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  return new TestCluster(
    dir,
    state,
    { etcd: adoptProcess(state.etcdPid), apiserver: state.apiserverPid > 0 ? adoptProcess(state.apiserverPid) : undefined },
    { ownsDir: false, outlive: true, readyTimeoutMs: 120_000 },
  );
}

function prepareDir(dir: string, bins: ClusterBinaries): void {
  for (const sub of ['bin', 'logs', 'pki']) mkdirSync(join(dir, sub), { recursive: true });
  for (const name of ['kube-apiserver', 'etcd', 'kubectl'] as const) {
    const link = join(dir, 'bin', name);
    rmSync(link, { force: true });
    symlinkSync(join(bins.dir, name), link);
  }
  // The service-account signing key and the token file survive apiserver restarts, so tokens stay valid.
  if (!existsSync(join(dir, 'pki', 'sa.key'))) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(join(dir, 'pki', 'sa.key'), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'pki', 'sa.pub'), publicKey);
  }
  if (!existsSync(join(dir, 'pki', 'tokens.csv'))) {
    writeFileSync(join(dir, 'pki', 'tokens.csv'), `adm-${randomBytes(16).toString('hex')},admin,admin,"system:masters"\n`, {
      mode: 0o600,
    });
  }
}

async function boot(
  dir: string,
  extraArgs: readonly string[],
  opts: { ownsDir: boolean; outlive: boolean; readyTimeoutMs: number },
): Promise<TestCluster> {
  const [etcdClientPort, etcdPeerPort, apiserverPort] = [await freePort(), await freePort(), await freePort()];
  const adminToken = readFileSync(join(dir, 'pki', 'tokens.csv'), 'utf8').split(',')[0] ?? '';
  const etcdLog = join(dir, 'logs', 'etcd.log');
  const etcd = startProcess(
    join(dir, 'bin', 'etcd'),
    [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    etcdLog,
    opts.outlive,
  );
  try {
    await waitEtcd(`http://127.0.0.1:${etcdClientPort}`, opts.readyTimeoutMs, etcd, etcdLog);
  } catch (error) {
    await killProcess(etcd);
    throw error;
  }

  const pki = join(dir, 'pki');
  const apiserverArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiserverPort}`,
    // Explicit on an offline machine (no default route to pick one from); loopback needs the reconciler off.
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${pki}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    // No controller manager creates default ServiceAccounts, so the admission plugin would reject pods.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // Tests decide when history is compacted (to force 410 Gone), not a 5-minute timer.
    '--etcd-compaction-interval=0',
    '--profiling=false',
    ...extraArgs,
  ];
  const state: ClusterState = {
    binDir: join(dir, 'bin'),
    etcdPid: etcd.pid,
    etcdClientPort,
    apiserverPid: 0,
    apiserverPort,
    apiserverArgs,
    adminToken,
  };
  writeKubeconfig(dir, apiserverPort, adminToken);
  const cluster = new TestCluster(dir, state, { etcd, apiserver: undefined }, opts);
  try {
    await cluster.startApiserver();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

function writeKubeconfig(dir: string, port: number, token: string): void {
  writeKubeconfigFile(join(dir, 'kubeconfig'), `https://127.0.0.1:${port}`, join(dir, 'pki', 'apiserver.crt'), 'admin', token);
}

async function waitEtcd(url: string, timeoutMs: number, proc: ManagedProcess, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    failIfDead(proc, 'etcd', log);
    if (Date.now() > deadline) throw new Error(`test/cluster: etcd not healthy after ${timeoutMs} ms; see ${log}`);
    await delay(100);
  }
}

async function waitReady(server: string, caFile: string, timeoutMs: number, proc: ManagedProcess, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(caFile)) {
      try {
        // /readyz is readable anonymously (system:public-info-viewer).
        const res = await apiRequest(server, caFile, undefined, 'GET', '/readyz', undefined, 'application/json', 2000);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
    }
    failIfDead(proc, 'kube-apiserver', log);
    if (Date.now() > deadline) throw new Error(`test/cluster: kube-apiserver not ready after ${timeoutMs} ms; see ${log}`);
    await delay(200);
  }
}

function failIfDead(proc: ManagedProcess, name: string, log: string): void {
  if (isAlive(proc.pid)) return;
  let tail = '';
  try {
    tail = readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log yet
  }
  throw new Error(`test/cluster: ${name} exited during start-up; last lines of ${log}:\n${tail}`);
}

function apiRequest(
  server: string,
  caFile: string,
  token: string | undefined,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
  timeoutMs: number | undefined = 60_000,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${server}${path}`,
      {
        method,
        ca: readFileSync(caFile),
        headers: {
          Accept: 'application/json',
          ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
        },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // keep the text
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`test/cluster: ${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`test/cluster: POST ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
