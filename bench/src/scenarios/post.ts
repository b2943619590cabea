/**
 * The http-sink's POST throughput (bench/http-sink/post-throughput.mjs, by the http-sink's authors), run as a
 * subprocess; its markdown table is parsed into rows. It needs no cluster.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Context } from '../context.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../http-sink/post-throughput.mjs', import.meta.url));

export async function post(ctx: Context): Promise<void> {
  const { stdout } = await run(process.execPath, [SCRIPT, '--seconds', String(ctx.sizes.postSeconds)], { maxBuffer: 16 * 2 ** 20 });
  ctx.detail('post', { output: stdout });
  const num = (cell: string): number => Number(cell.replaceAll(',', '').trim());
  for (const line of stdout.split('\n')) {
    // | batch | sink objects/s | sink MB/s | batches/s | POST-only floor objects/s | encode-only objects/s | ratio |
    const cells = line.split('|').slice(1, -1);
    if (cells.length !== 7 || !/^\s*\d+\s*$/.test(cells[0]!)) continue;
    const [batch, sinkRate, , , postOnly, encodeOnly, ratio] = cells.map(num) as [number, number, number, number, number, number, number];
    ctx.report({
      scenario: 'http-sink POST',
      figure: `objects/s, batches of ${batch} (memoized objects)`,
      value: sinkRate,
      unit: 'objects/s',
      // The floor is encoding then POSTing in sequence, each measured alone in the same run.
      floor: 1 / (1 / postOnly + 1 / encodeOnly),
      floorLabel: 'encode-only + POST-only',
      ratio,
    });
  }
}
