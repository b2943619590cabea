import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { configError } from './config-error.js';
import { stripNewline } from './env-secret.js';

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
      this.#version = versionOf(statSync(path));
      this.#token = stripNewline(readFileSync(path, 'utf8'));
    } catch (error) {
      throw configError(`bearerTokenFile: cannot read ${path}`, error);
    }
  }

  /** The current token. Keeps the last good token if the file is briefly missing during a rotation. */
  async current(): Promise<string> {
    try {
      const version = versionOf(await stat(this.#path));
      if (version !== this.#version) {
        this.#token = stripNewline(await readFile(this.#path, 'utf8'));
        this.#version = version;
      }
    } catch {
      // Kubernetes swaps projected volumes through symlinks; a miss here is transient, the old token still works.
    }
    return this.#token;
  }
}

function versionOf(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
