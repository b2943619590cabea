import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { silentLogger } from '@watch-proxy/core';
import { afterEach, describe, expect, it } from 'vitest';

import { hashConfigFile, watchConfigFile } from '../../src/config-file-watcher.js';
import type { ConfigFileWatcher } from '../../src/config-file-watcher.js';

const dirs: string[] = [];
const watchers: ConfigFileWatcher[] = [];
afterEach(() => {
  for (const watcher of watchers.splice(0)) watcher.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-watch-'));
  dirs.push(dir);
  return dir;
}

/** Resolves on the next `onChange`, or rejects after `ms` (a deadline, not a timing assumption). */
function nextChange(state: { waiters: (() => void)[] }, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no change reported within ${String(ms)} ms`)), ms);
    state.waiters.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function start(path: string): Promise<{ count: () => number; state: { waiters: (() => void)[] } }> {
  let count = 0;
  const state = { waiters: [] as (() => void)[] };
  const watcher = await watchConfigFile(path, {
    logger: silentLogger,
    debounceMs: 50,
    pollIntervalMs: 0,
    onChange: () => {
      count++;
      for (const waiter of state.waiters.splice(0)) waiter();
    },
  });
  watchers.push(watcher);
  return { count: () => count, state };
}

describe('watchConfigFile', { timeout: 30_000 }, () => {
  it('reports an in-place edit once per burst, and not a rewrite with the same content', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'clusterName: a\n');
    const { count, state } = await start(file);
    const changed = nextChange(state);
    for (let i = 0; i < 5; i++) writeFileSync(file, `clusterName: b${String(i)}\n`);
    await changed;
    expect(count()).toBe(1);
    // Same content again, then a real change: only the real change is reported.
    writeFileSync(file, 'clusterName: b4\n');
    const again = nextChange(state);
    writeFileSync(file, 'clusterName: c\n');
    await again;
    expect(count()).toBe(2);
  });

  it('follows a Kubernetes ConfigMap update: the ..data symlink is swapped, config.yaml never touched', async () => {
    const dir = tempDir();
    // The kubelet layout: ..<timestamp>/config.yaml, ..data -> ..<timestamp>, config.yaml -> ..data/config.yaml.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'config.yaml'), 'clusterName: one\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
    const { count, state } = await start(join(dir, 'config.yaml'));

    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'config.yaml'), 'clusterName: two\n');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    const changed = nextChange(state);
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    await changed;
    expect(count()).toBe(1);
  });

  it('reports a change made between the baseline and the start of the watch (no event is seen for it)', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'clusterName: loaded\n');
    const baseline = await hashConfigFile(file);
    writeFileSync(file, 'clusterName: changed-while-starting\n');
    let count = 0;
    let reported: () => void = () => {};
    const done = new Promise<void>((resolve) => (reported = resolve));
    const timer = setTimeout(() => reported(), 10_000);
    watchers.push(
      await watchConfigFile(file, {
        logger: silentLogger,
        baseline,
        pollIntervalMs: 0,
        onChange: () => {
          count++;
          reported();
        },
      }),
    );
    await done;
    clearTimeout(timer);
    expect(count).toBe(1);
  });
});
