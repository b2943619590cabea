import { access, constants, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Batch, SendContext, SendOutcome, Sink, SinkLifecycleContext } from '@watch-proxy/core';
import { delivered, rejected, retryable } from '@watch-proxy/core/sink';

/** Options of `createNdjsonFileSink`. */
export interface NdjsonFileSinkOptions {
  /** The file to append to; created if missing. Its directory must exist. */
  readonly path: string;
  /** Sink name: keys the emit cache, so keep it stable across restarts. Default: `ndjson:<path>`. */
  readonly name?: string;
}

/** One line of the file. `batchId` lets a reader drop duplicates if a retried append was partly written. */
export interface NdjsonLine {
  readonly batchId: string;
  readonly event: 'add' | 'update' | 'delete';
  readonly resource: string;
  readonly key: string;
  readonly uniqueId: string;
  readonly asset_type_id: string;
  readonly data: unknown;
}

// Errors an operator can fix while we keep retrying (disk full, I/O hiccup, directory (re)mounted, permissions).
// Anything else is a bug in the data or the sink: reject it instead of retrying forever.
const TRANSIENT = new Set(['ENOSPC', 'EIO', 'EAGAIN', 'EBUSY', 'ENOENT', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EDQUOT']);

/**
 * A custom sink in about forty lines: it encodes (one JSON line per change), transmits (appends to a file,
 * passing the AbortSignal down) and classifies the result. Batching, retries, timeouts and the emit cache are
 * core's job, not the sink's.
 */
export function createNdjsonFileSink(options: NdjsonFileSinkOptions): Sink {
  const { path } = options;
  return {
    name: options.name ?? `ndjson:${path}`,

    // Health check: the directory must be writable. Fails start() early instead of retrying at the first change.
    async start(_ctx: SinkLifecycleContext): Promise<void> {
      await access(dirname(path), constants.W_OK);
    },

    async send(batch: Batch, ctx: SendContext): Promise<SendOutcome> {
      const lines = batch.items.map((change) => {
        const line: NdjsonLine = {
          batchId: batch.id,
          event: change.event,
          resource: change.resource,
          key: change.key,
          uniqueId: change.uniqueId,
          asset_type_id: change.assetId,
          data: change.object,
        };
        return `${JSON.stringify(line)}\n`;
      });
      try {
        // One write per batch, so a batch lands whole or (on a crash mid-write) as a prefix of whole lines.
        await writeFile(path, lines.join(''), { flag: 'a', signal: ctx.signal });
        return delivered();
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        const code = (error as NodeJS.ErrnoException).code;
        if (err.name === 'AbortError' || code === undefined || TRANSIENT.has(code)) return retryable(err);
        return rejected(err);
      }
    },
  };
}
