// ClusterIdentity: reads a cluster's kube-system Namespace UID for clusterUid, retrying with backoff and saying
// why (the missing permission when RBAC refuses), until it succeeds or is stopped.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterIdentity, describeClusterUidError } from '../src/cluster-identity.js';
import { KubeRequestError } from '../src/kube/kube-json-client.js';
import type { Logger } from '../src/logger.js';

const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout'] } as Parameters<typeof vi.useFakeTimers>[0];

function recordingLogger(lines: { level: string; fields: unknown; message: string }[]): Logger {
  const logger = {
    child: () => logger,
    warn: (fields: unknown, message: string) => lines.push({ level: 'warn', fields, message }),
    info: (fields: unknown, message: string) => lines.push({ level: 'info', fields, message }),
    error: () => {},
    debug: () => {},
    trace: () => {},
    fatal: () => {},
  };
  return logger as unknown as Logger;
}

describe('ClusterIdentity', () => {
  beforeEach(() => vi.useFakeTimers(FAKE_TIMERS));
  afterEach(() => vi.useRealTimers());

  it('calls onKnown once with the UID read', async () => {
    const known: string[] = [];
    const identity = new ClusterIdentity({ cluster: 'a', read: () => Promise.resolve('uid-1'), logger: recordingLogger([]), random: () => 1, onKnown: (uid) => known.push(uid) });
    identity.start();
    await vi.waitFor(() => expect(known).toEqual(['uid-1']));
    expect(identity.uid).toBe('uid-1');
    expect(identity.error).toBeUndefined();
  });

  it('retries a forbidden read with doubling backoff up to 60 s, naming the cluster and the permission, and recovers', async () => {
    const lines: { level: string; fields: unknown; message: string }[] = [];
    const known: string[] = [];
    let calls = 0;
    let allowed = false;
    const read = (): Promise<string> => {
      calls++;
      return allowed ? Promise.resolve('uid-2') : Promise.reject(new KubeRequestError(403, 'GET /api/v1/namespaces/kube-system: 403 forbidden'));
    };
    // random() = 1: the full ceiling, so the delays are exact.
    const identity = new ClusterIdentity({ cluster: 'prod-eu', read, logger: recordingLogger(lines), random: () => 1, onKnown: (uid) => known.push(uid) });
    identity.start();
    await vi.waitFor(() => expect(calls).toBe(1));
    const delays = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
    for (const [i, delay] of delays.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(calls, `attempt ${String(i + 2)} not before ${String(delay)} ms`).toBe(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(i + 2);
    }
    expect(known).toEqual([]);
    expect(identity.error).toContain('cluster "prod-eu" forbids get on namespaces/kube-system');
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(delays.length + 1);
    expect(lines[0]!.message).toMatch(/resourceNames \[kube-system\], verbs \[get\]/);
    expect(lines[0]!.fields).toMatchObject({ retryInMs: 1_000, failures: 1 });

    allowed = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(known).toEqual(['uid-2']);
    expect(identity.error).toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ level: 'info', fields: { clusterUid: 'uid-2' } });
    // Known: no further reads.
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toBe(delays.length + 2);
  });

  it('stops retrying, and never reports a UID, once stopped', async () => {
    const known: string[] = [];
    let calls = 0;
    const identity = new ClusterIdentity({
      cluster: '',
      read: () => {
        calls++;
        return Promise.reject(new KubeRequestError(0, 'GET /api/v1/namespaces/kube-system: connect ECONNREFUSED'));
      },
      logger: recordingLogger([]),
      random: () => 0.5,
      onKnown: (uid) => known.push(uid),
    });
    identity.start();
    await vi.waitFor(() => expect(calls).toBe(1));
    identity.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toBe(1);
    expect(known).toEqual([]);
  });

  it('describes other failures with their cause, without naming a permission', () => {
    const down = describeClusterUidError('', new KubeRequestError(0, 'GET /api/v1/namespaces/kube-system: connect ECONNREFUSED'));
    expect(down).toBe('clusterUid: cannot read the kube-system Namespace of the cluster (GET /api/v1/namespaces/kube-system: connect ECONNREFUSED); its batches wait');
    expect(describeClusterUidError('b', new Error('x'))).toContain('of cluster "b" (x)');
  });
});
