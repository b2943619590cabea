import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpSink, readBoundedFile, readBoundedFileSync } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO nobody writes to: an ordinary open of it for reading waits for a writer for ever. */
function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('readBoundedFile', () => {
  it('reads a regular file within the cap', async () => {
    const file = join(dir, 'ok.pem');
    writeFileSync(file, 'x'.repeat(100));
    expect((await readBoundedFile(file, 100)).toString()).toBe('x'.repeat(100));
    expect(readBoundedFileSync(file, 100).toString()).toBe('x'.repeat(100));
  });

  it('refuses a file over the cap without reading it whole', async () => {
    const file = join(dir, 'big.pem');
    writeFileSync(file, 'x'.repeat(101));
    await expect(readBoundedFile(file, 100)).rejects.toMatchObject({ code: 'EFBIG', reason: 'is larger than the limit of 100 bytes' });
    expect(() => readBoundedFileSync(file, 64)).toThrow('is larger than the limit of 64 bytes');
  });

  it('refuses a FIFO at once instead of waiting for a writer (async and sync)', async () => {
    const path = fifo('pipe');
    await expect(readBoundedFile(path, 1024)).rejects.toMatchObject({ code: 'ENOTREG', reason: 'is a FIFO (named pipe), not a regular file' });
    expect(() => readBoundedFileSync(path, 1024)).toThrow(`${path}: is a FIFO (named pipe), not a regular file`);
  });

  it('refuses an endless device such as /dev/zero', async () => {
    await expect(readBoundedFile('/dev/zero', 1024)).rejects.toMatchObject({ reason: 'is a character device, not a regular file' });
    expect(() => readBoundedFileSync('/dev/zero', 1024)).toThrow(/character device/);
  });

  it('names a missing file and a directory', async () => {
    await expect(readBoundedFile(join(dir, 'none'), 10)).rejects.toMatchObject({ code: 'ENOENT', reason: 'file not found' });
    await expect(readBoundedFile(dir, 10)).rejects.toMatchObject({ reason: 'is a directory, not a file' });
  });
});

describe('the sink reads its files bounded', () => {
  it('fails creation at once on tls.caFile /dev/zero, naming the option and path', () => {
    expect(() => createHttpSink({ url: 'https://127.0.0.1:1/', tls: { caFile: '/dev/zero' } })).toThrow(
      'tls.caFile: cannot read /dev/zero: is a character device, not a regular file',
    );
  });

  it('fails creation at once on a bearerTokenFile that is a FIFO', () => {
    const path = fifo('token');
    expect(() => createHttpSink({ url: 'http://127.0.0.1:1/', bearerTokenFile: path })).toThrow(
      `bearerTokenFile: cannot read ${path}: is a FIFO (named pipe), not a regular file`,
    );
  });

  it('fails creation on a TLS file over the 1 MiB cap', () => {
    const file = join(dir, 'huge.pem');
    writeFileSync(file, Buffer.alloc(1024 * 1024 + 1, 0x41));
    expect(() => createHttpSink({ url: 'https://127.0.0.1:1/', tls: { keyFile: file, certFile: file } })).toThrow(/larger than the limit of 1 MiB/);
  });
});
