import { describe, expect, it } from 'vitest';

import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';
import type { WatchProxyConfig } from '../../src/config/types.js';
import { httpEndpoints } from './http-endpoints.js';

function load(text: string, env: Record<string, string> = {}): WatchProxyConfig {
  const result = parseConfig(text, 'config.yaml', { env, strict: true });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.config;
}

function errors(text: string): string[] {
  const result = parseConfig(text, 'config.yaml', { env: {} });
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

// What the original's yaml.v2 (YAML 1.1, typed by the Go field) made of each scalar: the receiver sees `meta`.
describe('YAML 1.1 as the original read it', () => {
  it('resolves metadata values as YAML 1.1: booleans, octal, binary, underscores; timestamps and 1:20 stay text', () => {
    const config = load(
      [
        'metadata:',
        '  a: yes',
        '  b: on',
        '  c: Off',
        '  d: n',
        '  e: 0755',
        '  f: 0b101',
        '  g: 1_000',
        '  h: 0o17',
        '  i: 2001-12-14',
        '  j: 1:20',
        '  k: "yes"',
        '  l: 0x1F',
        '  m: 1e3',
        '  n: ~',
        '  o: [on, 010, no]',
        'resources: [{name: pods}]',
        '',
      ].join('\n'),
    );
    expect(config.metadata).toEqual({
      a: true,
      b: true,
      c: false,
      d: false,
      e: 493,
      f: 5,
      g: 1000,
      h: 15,
      i: '2001-12-14',
      j: '1:20',
      k: 'yes',
      l: 31,
      m: 1000,
      n: null,
      o: [true, 8, false],
    });
  });

  it('keeps keys as written: on, y and 0755 are the keys "on", "y" and "0755", and y/yes are two keys', () => {
    const config = load('metadata:\n  on: 1\n  y: 2\n  yes: 3\n  0755: 4\nresources: [{name: pods}]\n');
    expect(config.metadata).toEqual({ on: 1, y: 2, yes: 3, '0755': 4 });
  });

  it('gives string keys the text as written, as yaml.v2 did for Go string fields', () => {
    const config = load(
      [
        'clusterName: 0755',
        'stateDir: 1e3',
        'remoteEndpoints:',
        '- url: http://r/',
        '  usernameVar: yes',
        '  headers: {X-Flag: on, X-Mode: 0755}',
        'resources:',
        '- name: nodes',
        '  assetId: no',
        '  pruneFields: [on, 0x10]',
        '',
      ].join('\n'),
      { yes: 'u' },
    );
    expect(config.clusterName).toBe('0755');
    expect(config.stateDir).toBe('1e3');
    expect(httpEndpoints(config)[0]?.usernameVar).toBe('yes');
    expect(httpEndpoints(config)[0]?.headers).toEqual({ 'X-Flag': 'on', 'X-Mode': '0755' });
    expect(config.resources[0]?.assetId).toBe('no');
    expect(config.resources[0]?.pruneFields).toEqual(['on', '0x10']);
  });

  it('reads YAML 1.1 numbers and booleans in typed keys', () => {
    const config = load('emitBatchMaxObjects: 0x10\nemitInterval: 010\ndeltaUpdates: Y\nresources:\n- name: secrets\n  includeSecretData: on\n');
    expect([config.emitBatchMaxObjects, config.emitIntervalMs, config.deltaUpdates, config.resources[0]?.includeSecretData]).toEqual([16, 8000, true, true]);
  });

  it('still reports every problem at file:line:col, including duplicate keys by their text', () => {
    expect(errors('metadata:\n  on: 1\n  on: 2\nresources: [{name: pods}]\n')).toEqual([
      'config.yaml:3:3: duplicate key "on" (each key may appear once in a mapping)',
    ]);
    expect(errors('clusterName: c\nemitBatchMaxObjects: yes\nresources:\n- name: pods\n  includeSecretData: 0755\n')).toEqual([
      'config.yaml:2:22 emitBatchMaxObjects: expected a whole number, got true',
      'config.yaml:5:22 resources.0.includeSecretData: expected true or false, got the number 493',
    ]);
  });
});
