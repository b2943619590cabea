import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { configError } from './config-error.js';
import { stripNewline } from './env-secret.js';
import { MAX_TOKEN_FILE_BYTES, readBoundedFile, readBoundedFileSync } from './read-bounded-file.js';

/**
 * A bearer token kept in a file and re-read when the file changes (size, mtime or inode), so rotated
 * service-account tokens are picked up without a restart. One `stat` per request.
 */
export class TokenFile {
  readonly #path: string;
  #token: string;
  #version: string;

  /** Reads the file once: a missing or unreadable file is a creation error naming the path. */
  constructor(path: string) {
    this.#path = path;
    try {
      // Bounded and non-blocking: a FIFO or device here must fail creation, not hang the daemon.
      this.#version = versionOf(statSync(path));
      this.#token = stripNewline(readBoundedFileSync(path, MAX_TOKEN_FILE_BYTES).toString('utf8'));
    } catch (error) {
      throw configError('bearerTokenFile', `cannot read ${path}: ${(error as { reason?: string }).reason ?? 'unreadable'}`, { cause: error });
    }
  }

  /** The current token. Keeps the last good token if the file is briefly missing during a rotation. */
  async current(): Promise<string> {
    try {
      const version = versionOf(await stat(this.#path));
      if (version !== this.#version) {
        this.#token = stripNewline((await readBoundedFile(this.#path, MAX_TOKEN_FILE_BYTES)).toString('utf8'));
        this.#version = version;
      }
    } catch {
      // Kubernetes swaps projected volumes through symlinks; a miss here is transient, the old token still works.
      // A file swapped for something unreadable (a FIFO, an oversized file) also keeps the last good token.
    }
    return this.#token;
  }
}

function versionOf(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
