import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASON_MAX, DeadLetterFile, deadLetterFilePath, type DeadLetterRecord } from '../../src/deliver/dead-letter-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wp-dead-letter-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(name: string, reason = 'POST http://receiver/ answered 400'): DeadLetterRecord {
  return {
    time: '2026-12-04T17:00:00.000Z',
    endpoint: 'cmdb',
    key: `configmaps|ns/${name}`,
    resource: 'configmaps',
    namespace: 'ns',
    name,
    uid: `u-${name}`,
    event: 'add',
    kind: 'content',
    code: 400,
    reason,
  };
}

async function lines(path: string): Promise<DeadLetterRecord[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DeadLetterRecord);
}

describe('DeadLetterFile', () => {
  it('appends one JSON record per line, in a 0600 file of a 0700 folder it creates', async () => {
    const path = deadLetterFilePath(join(dir, 'state'), 'http:cmdb/x');
    expect(path).toBe(join(dir, 'state', 'dead-letter.http%3Acmdb%2Fx.ndjson'));
    const file = new DeadLetterFile({ path, onError: (e) => expect.fail(e.message) });
    file.record(record('a'));
    file.record(record('b', 'r'.repeat(1000)));
    await file.settled();
    const got = await lines(path);
    expect(got.map((r) => r.name)).toEqual(['a', 'b']);
    expect(got[0]).toEqual(record('a'));
    expect(got[1]?.reason).toHaveLength(DEAD_LETTER_REASON_MAX + 1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect(file.stats()).toEqual({ written: 2, discarded: 0 });
  });

  it('stays bounded: rotates to .1 and drops the oldest records, counting them', async () => {
    const path = deadLetterFilePath(dir, 'cmdb');
    const size = Buffer.byteLength(`${JSON.stringify(record('n00'))}\n`);
    const file = new DeadLetterFile({ path, maxBytes: size * 3, onError: (e) => expect.fail(e.message) });
    for (let i = 0; i < 10; i++) file.record(record(`n${String(i).padStart(2, '0')}`));
    await file.settled();
    // files of 3 records: n00-02 (discarded), n03-05 (discarded), n06-08 (.1), n09 (current)
    expect((await lines(`${path}.1`)).map((r) => r.name)).toEqual(['n06', 'n07', 'n08']);
    expect((await lines(path)).map((r) => r.name)).toEqual(['n09']);
    expect(file.stats()).toEqual({ written: 10, discarded: 6 });
  });

  it('counts what an earlier run left, so the bound holds across restarts', async () => {
    const path = deadLetterFilePath(dir, 'cmdb');
    const line = `${JSON.stringify(record('o1'))}\n`;
    await writeFile(path, line.repeat(2));
    await writeFile(`${path}.1`, line.repeat(3));
    const file = new DeadLetterFile({ path, maxBytes: Buffer.byteLength(line) * 3, onError: (e) => expect.fail(e.message) });
    file.record(record('n1'));
    file.record(record('n2'));
    await file.settled();
    expect((await lines(`${path}.1`)).map((r) => r.name)).toEqual(['o1', 'o1', 'n1']);
    expect((await lines(path)).map((r) => r.name)).toEqual(['n2']);
    expect(file.stats()).toEqual({ written: 2, discarded: 3 });
  });

  it('reports a failed write and counts its records as discarded, never throwing into the caller', async () => {
    const errors: Error[] = [];
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const file = new DeadLetterFile({ path: join(blocker, 'dead-letter.cmdb.ndjson'), onError: (e) => errors.push(e) });
    file.record(record('a'));
    await file.settled();
    expect(errors).toHaveLength(1);
    expect(file.stats()).toEqual({ written: 0, discarded: 1 });
  });
});
