/**
 * A sink that prints what would be sent: what `--dry-run` uses, and what the daemon uses when the config lists no
 * `remoteEndpoints` (a first run shows what would be sent before anything is wired to a receiver). `json` prints
 * each batch as the original's HTTP payload, one JSON document per line; `text` one line per change, for people.
 */
import { delivered, retryable } from '@watch-proxy/core/sink';
import { buildClusterMeta, buildMeta, encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import type { Batch, Change, SendContext, SendOutcome, Sink } from '@watch-proxy/core';

import { createChangePrinter } from './change-lines.js';
import type { ChangePrinter, OutputFormat } from './change-lines.js';

/** Options of {@link createStdoutSink}. */
export interface StdoutSinkOptions {
  /** Sink name (keys its emit cache). Default `stdout`. */
  readonly name?: string | undefined;
  /** The config's `clusterName`, for `meta.cluster`. Default `''`. */
  readonly clusterName?: string | undefined;
  /** The config's `metadata`, sent as `meta`. Default none. */
  readonly metadata?: Readonly<Record<string, unknown>> | null | undefined;
  /** Where lines go. Default `process.stdout`. */
  readonly stream?: NodeJS.WritableStream | undefined;
  /** `json` (default): the original payload per batch. `text`: one line per change. */
  readonly format?: OutputFormat | undefined;
  /** For `text`: the printer remembering earlier states (share one across reloads). Default: a new one. */
  readonly printer?: ChangePrinter | undefined;
}

/** Creates the stdout sink. A write error (stdout closed) is retryable, as core treats any transport failure. */
export function createStdoutSink(options: StdoutSinkOptions = {}): Sink<Change> {
  const out = options.stream ?? process.stdout;
  const meta = buildMeta(options.metadata ?? null, options.clusterName ?? '');
  const printer = options.format === 'text' ? (options.printer ?? createChangePrinter()) : undefined;
  return {
    name: options.name ?? 'stdout',
    send(batch: Batch<Change>, _ctx: SendContext): Promise<SendOutcome> {
      // A batch of one of several clusters carries it: its name is meta.cluster, its metadata merged over the config's.
      const cluster = batch.cluster;
      const batchMeta = cluster === undefined ? meta : buildClusterMeta(options.metadata, cluster);
      const text = printer === undefined ? `${encodeWatchProxyPayload(batch.items, batchMeta)}\n` : printer.lines(batch.items);
      return new Promise((resolve) => {
        // Resolve only once the line is handed to the OS: a piped reader that is slow holds back the next batch.
        out.write(text, (error?: Error | null) => resolve(error ? retryable(error) : delivered()));
      });
    },
  };
}
