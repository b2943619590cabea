import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';

function parse(text: string) {
  return parseConfig(text, 'config.yaml', { env: {}, checkEnvironment: false });
}

describe('stateStore config', () => {
  it('is disk only when absent or type disk', () => {
    for (const text of ['clusterName: c\n', 'stateStore:\n  type: disk\n', 'stateStore: {}\n']) {
      const result = parse(text);
      expect(result.ok && result.config.stateStore).toBe(undefined);
    }
  });

  it('type cluster: ConfigMaps named after "watch-proxy" in the daemon\'s namespace by default', () => {
    const result = parse('stateStore:\n  type: cluster\n');
    expect(result.ok && result.config.stateStore).toEqual({ name: 'watch-proxy', namespace: undefined });
  });

  it("defaults to leaderElection's lease name and namespace, and takes its own", () => {
    const le = 'leaderElection:\n  enabled: true\n  leaseName: wp\n  namespace: ops\n';
    const inherited = parse(`${le}stateStore:\n  type: cluster\n`);
    expect(inherited.ok && inherited.config.stateStore).toEqual({ name: 'wp', namespace: 'ops' });
    const own = parse(`${le}stateStore:\n  type: cluster\n  name: state\n  namespace: other\n`);
    expect(own.ok && own.config.stateStore).toEqual({ name: 'state', namespace: 'other' });
  });

  it.each([
    ['type: configmap', 'stateStore.type'],
    ['type: cluster\n  name: Not_A_Name', 'stateStore.name'],
  ])('rejects %s with a located error', (body, path) => {
    const result = parse(`stateStore:\n  ${body}\n`);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.some((e) => e.path.startsWith(path) && e.line > 0)).toBe(true);
  });
});
