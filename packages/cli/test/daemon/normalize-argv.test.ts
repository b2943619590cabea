import { describe, expect, it } from 'vitest';

import { normalizeArgv } from '../../src/normalize-argv.js';

describe('normalizeArgv', () => {
  it.each([
    [['-kubeconfig', '/k'], ['--kubeconfig', '/k']],
    [['-kubeconfig=/k'], ['--kubeconfig=/k']],
    [['--kubeconfig', '/k'], ['--kubeconfig', '/k']],
    [['-c=/etc/c.yaml'], ['--config=/etc/c.yaml']],
    [['-c', '/etc/c.yaml'], ['-c', '/etc/c.yaml']],
    [['-v'], ['-v']],
    [['validate', '-c', 'x'], ['validate', '-c', 'x']],
    [['--', '-kubeconfig'], ['--', '-kubeconfig']],
  ])('%j becomes %j', (input, expected) => {
    expect(normalizeArgv(input)).toEqual({ argv: expected, notes: [] });
  });

  it('drops glog flags with a note, including a separate value', () => {
    const { argv, notes } = normalizeArgv(['-logtostderr', '-v=4', '-log_dir', '/tmp/x', '-c', 'f.yaml']);
    expect(argv).toEqual(['-c', 'f.yaml']);
    expect(notes).toHaveLength(3);
    expect(notes[1]).toContain('-v=4');
  });
});
