/** How much of a response body is kept: the first KiB, searched for echoed request data before an excerpt of it is shown. */
export const ERROR_BODY_BYTES = 1024;
/** How much of a response body is read (to free the keep-alive socket) before the connection is dropped. */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Reads a response body, keeping its first `keepBytes` (default {@link ERROR_BODY_BYTES}, at most
 * {@link DRAIN_LIMIT_BYTES}) as text. Bodies up to
 * {@link DRAIN_LIMIT_BYTES} are drained so the socket goes back to the keep-alive pool; a larger body is cut off
 * by destroying the stream, which closes the connection instead of reading an unbounded answer.
 */
export async function readCappedBody(body: NodeJS.ReadableStream | null, keepBytes = ERROR_BODY_BYTES): Promise<string> {
  if (body === null) return '';
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += bytes.length;
      if (keptBytes < keepBytes) {
        const part = bytes.subarray(0, keepBytes - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (total > DRAIN_LIMIT_BYTES) {
        // node-fetch hands us a Node Readable, which has destroy(); the declared type does not say so.
        (body as NodeJS.ReadableStream & { destroy(): void }).destroy();
        break;
      }
    }
  } catch {
    // A body that fails half-way still gave us a status; what we kept is enough for the error message.
  }
  // Cutting at a byte count can split a UTF-8 sequence; the decoder replaces the fragment, which is fine here.
  return Buffer.concat(kept).toString('utf8');
}
