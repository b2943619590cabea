import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from '@watch-proxy/core';
import { afterAll, describe, expect, it } from 'vitest';

import type { WatchProxyConfig } from '../../src/config/index.js';
import { createReloader } from '../../src/reload.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: (_obj, msg) => void lines.push(`info ${msg ?? ''}`),
    warn: (_obj, msg) => void lines.push(`warn ${msg ?? ''}`),
    error: (_obj, msg) => void lines.push(`error ${msg ?? ''}`),
    child: () => logger,
  };
  return logger;
}

describe('createReloader', () => {
  it('logs every located error of an invalid file and does not apply it', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'emitInterval: -1\nemitBatchMaxObjects: ten\n');
    const lines: string[] = [];
    const applied: WatchProxyConfig[] = [];
    const results: string[] = [];
    const reloader = createReloader({
      configPath: file,
      strict: false,
      env: {},
      logger: recordingLogger(lines),
      apply: (config) => {
        applied.push(config);
        return Promise.resolve('applied');
      },
      onResult: (result) => void results.push(result),
    });
    await reloader.request('SIGHUP');
    expect(applied).toHaveLength(0);
    expect(results).toEqual(['failure']);
    expect(lines).toContain(`error ${file}:1:15 emitInterval: must not be negative`);
    expect(lines.some((line) => line.startsWith(`error ${file}:2:22 emitBatchMaxObjects:`))).toBe(true);
  });

  it('folds requests made during a reload into one more pass that reads the newest file', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'clusterName: first\n');
    const seen: string[] = [];
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const reloader = createReloader({
      configPath: file,
      strict: false,
      env: {},
      logger: recordingLogger([]),
      apply: async (config) => {
        seen.push(config.clusterName);
        if (seen.length === 1) {
          const released = new Promise<void>((resolve) => (release = resolve));
          entered();
          await released;
        }
        return 'applied';
      },
    });
    const first = reloader.request('file-change');
    // While the first is being applied, two more requests and a newer file arrive.
    await inFirst;
    writeFileSync(file, 'clusterName: third\n');
    const second = reloader.request('file-change');
    const third = reloader.request('SIGHUP');
    release();
    await Promise.all([first, second, third]);
    expect(seen).toEqual(['first', 'third']);
  });
});
