/**
 * Reads files named by configuration without trusting what they are: a path may point at `/dev/zero` (endless),
 * a FIFO (no writer: an ordinary open blocks forever, in the event loop or in a libuv worker) or a file of
 * gigabytes. The file is opened non-blocking (a FIFO open then returns at once), the opened descriptor is
 * checked to be a regular file no larger than the cap, and at most cap + 1 bytes are read (a file that grows
 * while being read is still refused). Shared by the sink's TLS and token files and the CLI's config file.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** Cap of a TLS file (`tls.caFile`, `certFile`, `keyFile`): 1 MiB, several times a full public CA bundle (~220 KB). */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;
/** Cap of a bearer token file: 64 KiB (a Kubernetes service-account token is ~1 KB). */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Why a bounded read failed; `reason` reads after the path (`/dev/zero: is a character device, not a regular file`). */
export class BoundedFileError extends Error {
  /** The errno code (`ENOENT`), or `ENOTREG` (not a regular file) or `EFBIG` (over the cap). */
  readonly code: string;
  /** The path as given. */
  readonly path: string;
  /** What is wrong, without the path: `file not found`, `is a FIFO (named pipe), not a regular file`... */
  readonly reason: string;

  constructor(path: string, code: string, reason: string, cause?: unknown) {
    super(`${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'BoundedFileError';
    this.path = path;
    this.code = code;
    this.reason = reason;
  }
}

/** `O_NONBLOCK` where the platform has it: opening a FIFO for reading then never waits for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${String(bytes / (1024 * 1024))} MiB`;
  return bytes % 1024 === 0 ? `${String(bytes / 1024)} KiB` : `${String(bytes)} bytes`;
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless `stats` is a regular file within `maxBytes`. */
function checkStats(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) {
    if (stats.isDirectory()) throw new BoundedFileError(path, 'EISDIR', 'is a directory, not a file');
    const kind = kindOf(stats);
    throw new BoundedFileError(path, 'ENOTREG', kind === 'not a regular file' ? kind : `is ${kind}, not a regular file`);
  }
  if (stats.size > maxBytes) tooBig(path, maxBytes);
}

function tooBig(path: string, maxBytes: number): never {
  throw new BoundedFileError(path, 'EFBIG', `is larger than the limit of ${sizeText(maxBytes)}`);
}

/** A file that grew after its fstat: room up to the cap + 1, so growing past the cap is still noticed. */
function grow(buffer: Buffer, maxBytes: number): Buffer {
  const bigger = Buffer.alloc(maxBytes + 1);
  buffer.copy(bigger);
  return bigger;
}

function openFailure(path: string, error: unknown): BoundedFileError {
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : 'EIO';
  const reason =
    name === 'ENOENT'
      ? 'file not found'
      : name === 'EACCES' || name === 'EPERM'
        ? 'permission denied'
        : name === 'EISDIR'
          ? 'is a directory, not a file'
          : // A socket cannot be opened at all (ENXIO).
            name === 'ENXIO'
            ? 'is not a regular file (a socket?)'
            : `cannot read file (${name})`;
  return new BoundedFileError(path, name, reason, error);
}

/**
 * Reads `path` whole, off the event loop. Rejects with a {@link BoundedFileError} when it cannot be opened, is
 * not a regular file (directory, FIFO, device, socket) or holds more than `maxBytes` bytes.
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    const stats = await handle.stat();
    checkStats(path, stats, maxBytes);
    let buffer: Buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grow(buffer, maxBytes);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) tooBig(path, maxBytes);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw error instanceof BoundedFileError ? error : openFailure(path, error);
  } finally {
    await handle.close();
  }
}

/**
 * {@link readBoundedFile} for callers that must stay synchronous (a sink is created synchronously). Never
 * blocks on a FIFO or device, and reads at most `maxBytes + 1` bytes of a regular file.
 */
export function readBoundedFileSync(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    const stats = fstatSync(fd);
    checkStats(path, stats, maxBytes);
    let buffer: Buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grow(buffer, maxBytes);
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) tooBig(path, maxBytes);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw error instanceof BoundedFileError ? error : openFailure(path, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks, without reading it, that `path` is a regular file within `maxBytes` (for a file a library reads
 * itself, such as a kubeconfig). Throws a {@link BoundedFileError}; never blocks on a FIFO.
 */
export function checkBoundedFileSync(path: string, maxBytes: number): void {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    checkStats(path, fstatSync(fd), maxBytes);
  } finally {
    closeSync(fd);
  }
}
