import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const buildScript = fileURLToPath(new URL('../build.sh', import.meta.url));

/** Which broker: Apache Kafka (KRaft) or nats-server with JetStream. */
export type BrokerKind = 'kafka' | 'nats';

const cached = new Map<BrokerKind, Promise<string>>();

/**
 * Fetches (Kafka's jars from Maven Central) or builds (nats-server from the Go module proxy) a broker once per
 * machine, cached outside the repo by build.sh, and resolves to its cache folder: `libs/` for Kafka,
 * `bin/nats-server` for NATS. Started once per process and shared.
 */
export function ensureBroker(kind: BrokerKind): Promise<string> {
  let pending = cached.get(kind);
  if (pending === undefined) {
    pending = build(kind);
    cached.set(kind, pending);
  }
  return pending;
}

async function build(kind: BrokerKind): Promise<string> {
  try {
    // A cold fetch or build takes minutes on a loaded machine; never cut it short here.
    const { stdout } = await run('bash', [buildScript, kind], { maxBuffer: 16 * 1024 * 1024, timeout: 0 });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    cached.delete(kind);
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`test/brokers: preparing ${kind} failed: ${stderr.split('\n').slice(-20).join('\n')}`, { cause: error });
  }
}
