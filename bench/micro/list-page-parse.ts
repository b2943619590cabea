/**
 * Micro-benchmark of list page parsing: the streaming ListParser (a JavaScript loop over every byte, then
 * JSON.parse per item) against one JSON.parse of the whole page, and the reflector's ListPageReader (which keeps a
 * body up to its bound and parses it whole, streaming only bigger bodies). A page is bounded by `limit` (500
 * objects, ~2 MB). Compares them on one real page.
 *
 *   node --import ./bench/micro/source-hooks.ts bench/micro/list-page-parse.ts PAGE.json
 * (a page: `kubectl get --raw '/api/v1/namespaces/bench-sync/configmaps?limit=500' > PAGE.json`)
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ListParser } from '../../packages/core/src/watch/list-parser.ts';
import { ListPageReader } from '../../packages/core/src/watch/list-page-reader.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: node bench/micro/list-page-parse.ts PAGE.json');
const page = readFileSync(file);
// As it arrives from a socket: 64 KB chunks.
const chunks: Buffer[] = [];
for (let at = 0; at < page.length; at += 65_536) chunks.push(page.subarray(at, at + 65_536));

function streaming(): number {
  let n = 0;
  const parser = new ListParser(() => void n++);
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return n;
}

function whole(): number {
  return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: unknown[] }).items.length;
}

function reader(): number {
  let n = 0;
  const r = new ListPageReader(() => void n++);
  for (const chunk of chunks) r.write(chunk);
  r.end();
  return n;
}

for (const [name, fn] of [
  ['ListParser (streaming)', streaming],
  ['JSON.parse of the page', whole],
  ['ListPageReader (the reflector)', reader],
  ['ListParser (streaming)', streaming],
  ['JSON.parse of the page', whole],
  ['ListPageReader (the reflector)', reader],
] as const) {
  const started = performance.now();
  let runs = 0;
  let items = 0;
  while (performance.now() - started < 2000) {
    items += fn();
    runs++;
  }
  const ms = (performance.now() - started) / runs;
  process.stdout.write(`${name}: ${ms.toFixed(2)} ms per page of ${items / runs} items, ${(page.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s\n`);
}
