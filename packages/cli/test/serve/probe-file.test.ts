import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { silentLogger } from '@watch-proxy/core';
import { afterAll, describe, expect, it } from 'vitest';

import { startProbeFile } from '../../src/serve/probe-file.js';
import type { ProbeResult } from '../../src/serve/probes.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wp-probe-file-'));
  dirs.push(dir);
  return dir;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

// The original's `cat /watch-proxy/healthy` exec probe: the file exists exactly while the process is live.
describe('the exec-probe file', () => {
  it('is <dir>/healthy while live, removed when not, written again on recovery, removed at stop', async () => {
    const dir = await tempDir();
    let live: ProbeResult = { ok: true, reason: '' };
    const file = startProbeFile({ dir, isLive: () => live, logger: silentLogger, intervalMs: 3_600_000 });
    expect(file.path).toBe(join(dir, 'healthy'));
    await file.refresh();
    expect(await readFile(file.path, 'utf8')).toBe('OK\n');
    live = { ok: false, reason: 'the pipeline failed' };
    await file.refresh();
    expect(await exists(file.path)).toBe(false);
    live = { ok: true, reason: '' };
    await file.refresh();
    expect(await exists(file.path)).toBe(true);
    await file.stop();
    expect(await exists(file.path)).toBe(false);
    await file.refresh();
    expect(await exists(file.path)).toBe(false);
  });

  it('replaces a stale file left by an earlier container at once, and a throwing check counts as not live', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'healthy'), 'stale');
    const file = startProbeFile({
      dir,
      isLive: () => {
        throw new Error('boom');
      },
      logger: silentLogger,
      intervalMs: 3_600_000,
    });
    await file.refresh();
    expect(await exists(file.path)).toBe(false);
    await file.stop();
  });

  it('creates a missing state folder, and a folder it cannot write is logged once, never thrown', async () => {
    const dir = join(await tempDir(), 'state', 'nested');
    const file = startProbeFile({ dir, isLive: () => ({ ok: true, reason: '' }), logger: silentLogger, intervalMs: 3_600_000 });
    await file.refresh();
    expect(await exists(file.path)).toBe(true);
    await file.stop();

    const blocker = join(await tempDir(), 'a-file');
    await writeFile(blocker, 'x');
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (...args: unknown[]) => warnings.push(args), child: () => logger };
    const broken = startProbeFile({ dir: join(blocker, 'under-a-file'), isLive: () => ({ ok: true, reason: '' }), logger: logger as never, intervalMs: 3_600_000 });
    await broken.refresh();
    await broken.refresh();
    expect(warnings).toHaveLength(1);
    await broken.stop();
  });
});
