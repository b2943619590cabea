import { EventEmitter } from 'node:events';

import { describe, expect, it } from 'vitest';

import { handleSignals } from '../../src/signals.js';

describe('handleSignals', () => {
  it('stops on the first SIGTERM/SIGINT, forces on the second, reloads on SIGHUP, and unhooks', () => {
    const target = new EventEmitter();
    const calls: string[] = [];
    const unhook = handleSignals(
      { stop: (s) => calls.push(`stop ${s}`), force: (s) => calls.push(`force ${s}`), reload: () => calls.push('reload') },
      target,
    );
    target.emit('SIGHUP');
    target.emit('SIGTERM', 'SIGTERM');
    target.emit('SIGHUP');
    target.emit('SIGINT', 'SIGINT');
    unhook();
    target.emit('SIGTERM', 'SIGTERM');
    expect(calls).toEqual(['reload', 'stop SIGTERM', 'reload', 'force SIGINT']);
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });
});
