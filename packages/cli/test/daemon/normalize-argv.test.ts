import { describe, expect, it } from 'vitest';

import { glogLevel, normalizeArgv } from '../../src/normalize-argv.js';
import { UsageError } from '../../src/usage-error.js';

describe('normalizeArgv', () => {
  it.each([
    [['-kubeconfig', '/k'], ['--kubeconfig', '/k']],
    [['-kubeconfig=/k'], ['--kubeconfig=/k']],
    [['--kubeconfig', '/k'], ['--kubeconfig', '/k']],
    [['-c=/etc/c.yaml'], ['--config=/etc/c.yaml']],
    [['-c', '/etc/c.yaml'], ['-c', '/etc/c.yaml']],
    [['-V'], ['-V']],
    [['--version'], ['--version']],
    [['validate', '-c', 'x'], ['validate', '-c', 'x']],
    [['--', '-kubeconfig'], ['--', '-kubeconfig']],
  ])('%j becomes %j', (input, expected) => {
    expect(normalizeArgv(input)).toEqual({ argv: expected, notes: [], logLevel: undefined });
  });

  // The original's README documents glog's `-v value`; Go's flag package reads all four spellings.
  it.each([
    [['-v', '2'], 'info'],
    [['-v=4'], 'debug'],
    [['--v', '5'], 'trace'],
    [['--v=0'], 'info'],
    [['-v', '3'], 'debug'],
    [['-v', '10'], 'trace'],
  ])('%j sets the log level to %s, no note, nothing left for commander', (input, level) => {
    expect(normalizeArgv([...input, '-c', 'f.yaml'])).toEqual({ argv: ['-c', 'f.yaml'], notes: [], logLevel: level });
  });

  it('the last -v wins, as with Go flags', () => {
    expect(normalizeArgv(['-v', '5', '-v=1']).logLevel).toBe('info');
  });

  it.each([
    [['-v'], /-v needs a value: glog's log verbosity/],
    [['--v'], /--v needs a value/],
    [['-v', 'x'], /invalid value "x" for -v/],
    [['-v=-1'], /invalid value "-1" for -v/],
    [['-v', '-c', 'f.yaml'], /invalid value "-c" for -v/],
  ])('%j is a usage error naming the flag', (input, message) => {
    expect(() => normalizeArgv(input)).toThrow(UsageError);
    expect(() => normalizeArgv(input)).toThrow(message);
  });

  it('drops the other glog flags with a note, including a separate value', () => {
    const { argv, notes } = normalizeArgv(['-logtostderr', '-alsologtostderr=true', '-log_dir', '/tmp/x', '--vmodule=a=2', '-stderrthreshold', 'INFO', '-c', 'f.yaml']);
    expect(argv).toEqual(['-c', 'f.yaml']);
    expect(notes).toHaveLength(5);
    expect(notes[2]).toContain('-log_dir');
  });

  it('maps glog verbosity onto the Kubernetes logging conventions', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(glogLevel)).toEqual(['info', 'info', 'info', 'debug', 'debug', 'trace', 'trace']);
  });
});
