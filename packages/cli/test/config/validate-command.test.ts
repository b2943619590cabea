import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runValidate } from '../../src/config/validate-command.js';

function capture(): { write(text: string): void; text: () => string } {
  let out = '';
  return {
    write(text: string) {
      out += text;
    },
    text: () => out,
  };
}

describe('runValidate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watch-proxy-validate-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('exits 0 and prints warnings for a valid file', async () => {
    const file = write('ok.yaml', 'colour: x\nresources: [{name: pods}]\n');
    const stdout = capture();
    const stderr = capture();
    await expect(runValidate({ config: file, env: {}, stdout, stderr })).resolves.toBe(0);
    expect(stderr.text()).toBe(`${file}:1:1 colour: warning: unknown key, ignored\n`);
    expect(stdout.text()).toBe(`${file}: valid (1 warning)\n`);
  });

  it('exits 2 with every error in file order, errors and warnings mixed', async () => {
    const file = write('bad.yaml', 'colour: x\nemitInterval: -1\nresources: [{name: pods, assetId: [a]}]\n');
    const stdout = capture();
    const stderr = capture();
    await expect(runValidate({ config: file, env: {}, stdout, stderr })).resolves.toBe(2);
    expect(stderr.text().split('\n')).toEqual([
      `${file}:1:1 colour: warning: unknown key, ignored`,
      `${file}:2:15 emitInterval: must not be negative`,
      `${file}:3:35 resources.0.assetId: expected a string, got a list`,
      `${file}: invalid (2 errors, 1 warning)`,
      '',
    ]);
    expect(stdout.text()).toBe('');
  });

  it('makes unknown keys errors with strict', async () => {
    const file = write('strict.yaml', 'clusterNme: x\n');
    const stderr = capture();
    await expect(runValidate({ config: file, env: {}, strict: true, stdout: capture(), stderr })).resolves.toBe(2);
    expect(stderr.text()).toContain(`${file}:1:1 clusterNme: unknown key (did you mean "clusterName"?)\n`);
  });

  it('exits 2 for a missing file', async () => {
    const stderr = capture();
    await expect(runValidate({ config: join(dir, 'nope.yaml'), stdout: capture(), stderr })).resolves.toBe(2);
    expect(stderr.text()).toBe(`${join(dir, 'nope.yaml')}: file not found\n${join(dir, 'nope.yaml')}: invalid (1 error, 0 warnings)\n`);
  });

  it('prints the normalized config without secret values', async () => {
    const file = write('print.yaml', 'remoteEndpoints:\n- url: http://r/\n  usernameVar: U\nresources: [{name: pods}]\n');
    const stdout = capture();
    await expect(runValidate({ config: file, env: { U: 'top-secret' }, print: true, stdout, stderr: capture() })).resolves.toBe(0);
    const printed = JSON.parse(stdout.text().split(`\n${file}: valid`)[0] ?? '') as { remoteEndpoints: { usernameVar: string }[] };
    expect(printed.remoteEndpoints[0]?.usernameVar).toBe('U');
    expect(stdout.text()).not.toContain('top-secret');
  });
});
