import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';

function parse(text: string) {
  return parseConfig(text, 'config.yaml', { env: {}, checkEnvironment: false });
}

describe('leaderElection config', () => {
  it('is off when absent or not enabled', () => {
    for (const text of ['clusterName: c\n', 'leaderElection:\n  leaseName: x\n']) {
      const result = parse(text);
      expect(result.ok && result.config.leaderElection).toBe(undefined);
    }
  });

  it("has client-go's defaults and the daemon's namespace when enabled", () => {
    const result = parse('leaderElection:\n  enabled: true\n');
    expect(result.ok && result.config.leaderElection).toEqual({
      leaseName: 'watch-proxy',
      namespace: undefined,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it('reads Go durations and a namespace', () => {
    const result = parse('leaderElection:\n  enabled: yes\n  leaseName: wp.lease\n  namespace: ops\n  leaseDuration: 3s\n  renewDeadline: 2s\n  retryPeriod: 500ms\n');
    expect(result.ok && result.config.leaderElection).toEqual({ leaseName: 'wp.lease', namespace: 'ops', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
  });

  it.each([
    ['leaseDuration: 10s\n  renewDeadline: 10s', 'leaderElection.renewDeadline', /less than leaseDuration/],
    ['renewDeadline: 2s\n  retryPeriod: 2s', 'leaderElection.retryPeriod', /renewDeadline \/ 1\.2/],
    ['leaseName: Watch_Proxy', 'leaderElection.leaseName', /Kubernetes object name/],
    ['retryPeriod: 0', 'leaderElection.retryPeriod', /greater than 0/],
  ])('rejects %s with a located error', (body, path, message) => {
    const result = parse(`leaderElection:\n  enabled: true\n  ${body}\n`);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.some((e) => e.path.startsWith(path) && message.test(e.message) && e.line > 0)).toBe(true);
  });

  it('warns about an unknown key inside it (an error with --strict)', () => {
    const result = parse('leaderElection:\n  enabled: true\n  lease: 1s\n');
    expect(result.ok).toBe(true);
    expect(result.warnings.some((w) => w.path === 'leaderElection.lease')).toBe(true);
  });
});
