/**
 * Micro-benchmark behind a suggested fix: heap per object of what the pipeline keeps per watched object,
 * measured piece by piece on real list items (run with --expose-gc):
 *   - the parsed object as received (what the reflector's ObjectStore keeps), with and without managedFields;
 *   - the canonical JSON string (what the emit cache keeps as the last delivered state).
 *
 *   node --expose-gc bench/micro/object-heap.ts PAGE.json [COPIES]
 */
import { readFileSync } from 'node:fs';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const [file, copiesArg = '20'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node --expose-gc bench/micro/object-heap.ts PAGE.json [COPIES]');
const text = readFileSync(file, 'utf8');
const items = (JSON.parse(text) as { items: unknown[] }).items;
const lines = items.map((item) => JSON.stringify(item));
const copies = Number(copiesArg);

function heapOf(make: () => unknown[]): number {
  gc!();
  gc!();
  const before = process.memoryUsage().heapUsed;
  const kept = make();
  gc!();
  gc!();
  const per = (process.memoryUsage().heapUsed - before) / kept.length;
  if (kept.length === 0) throw new Error('nothing kept');
  return per;
}

const each = (fn: (line: string, copy: number) => unknown): unknown[] => {
  const out: unknown[] = [];
  for (let c = 0; c < copies; c++) for (const line of lines) out.push(fn(line, c));
  return out;
};

const jsonBytes = lines.reduce((sum, l) => sum + l.length, 0) / lines.length;
const results = {
  'JSON text (bytes)': jsonBytes,
  'parsed object, as received': heapOf(() => each((line) => JSON.parse(line))),
  'parsed object, managedFields dropped': heapOf(() =>
    each((line) => {
      const o = JSON.parse(line) as { metadata: Record<string, unknown> };
      delete o.metadata['managedFields'];
      return o;
    }),
  ),
  'parsed object, managedFields dropped by copying metadata without them': heapOf(() =>
    each((line) => {
      const o = JSON.parse(line) as { metadata: Record<string, unknown> };
      const { managedFields: _dropped, ...metadata } = o.metadata;
      o.metadata = metadata;
      return o;
    }),
  ),
  // A fresh flat string per copy, as the emit cache holds one per object (a slice or concatenation would share
  // the line's storage and measure nothing).
  'JSON string kept (emit cache state), managedFields dropped': heapOf(() =>
    each((line) => {
      const o = JSON.parse(line) as { metadata: Record<string, unknown> };
      delete o.metadata['managedFields'];
      return JSON.stringify(o);
    }),
  ),
};
for (const [name, value] of Object.entries(results)) process.stdout.write(`${name}: ${(value / 1024).toFixed(2)} KB per object\n`);
