import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { createLogger, formatPrettyLine } from '../../src/logger.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { stream, text: () => out };
}

describe('createLogger', () => {
  it('writes JSON lines and redacts credential keys at the top level and one level down', () => {
    const { stream, text } = capture();
    const logger = createLogger({ stream, level: 'debug' });
    logger.info({ password: 'hunter2', endpoint: { token: 'abc', url: 'http://x/' } }, 'hello');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line['msg']).toBe('hello');
    expect(line['password']).toBe('[redacted]');
    expect(line['endpoint']).toEqual({ token: '[redacted]', url: 'http://x/' });
    expect(text()).not.toContain('hunter2');
  });

  it('honours the level', () => {
    const { stream, text } = capture();
    createLogger({ stream, level: 'warn' }).info({}, 'quiet');
    expect(text()).toBe('');
  });

  it('pretty-prints one line per record', async () => {
    const { stream, text } = capture();
    const logger = createLogger({ stream, format: 'pretty' });
    logger.warn({ resource: 'pods', count: 3, why: 'two words' }, 'something happened');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}something happened resource=pods count=3 why="two words"\n$/);
  });
});

describe('formatPrettyLine', () => {
  it('passes a non-JSON line through', () => {
    expect(formatPrettyLine('not json')).toBe('not json');
  });
});
