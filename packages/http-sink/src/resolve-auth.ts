import { configError } from './config-error.js';
import { readEnvVar } from './env-secret.js';
import type { HttpSinkOptions } from './options.js';
import { TokenFile } from './token-file.js';

/** How requests are authorized: a fixed `Authorization` value, a token file read per request, or neither. */
export interface ResolvedAuth {
  readonly authorization?: string;
  readonly tokenFile?: TokenFile;
}

/**
 * Resolves the auth options: basic auth as the original did it (only with a non-empty username; the password may
 * be empty), or a bearer token from a variable or a file. At most one source, counting a user `Authorization`
 * header. Variables are read now; a missing one is an error naming it.
 */
export function resolveAuth(
  options: HttpSinkOptions,
  env: Readonly<Record<string, string | undefined>>,
  hasAuthorizationHeader: boolean,
): ResolvedAuth {
  const usernameVar = options.usernameVar ?? undefined;
  const passwordVar = options.passwordVar ?? undefined;
  const bearerTokenVar = options.bearerTokenVar ?? undefined;
  const bearerTokenFile = options.bearerTokenFile ?? undefined;
  const username = usernameVar === undefined ? '' : readEnvVar(env, usernameVar, 'usernameVar');
  const password = passwordVar === undefined ? '' : readEnvVar(env, passwordVar, 'passwordVar');
  const sources = [username !== '', bearerTokenVar !== undefined, bearerTokenFile !== undefined, hasAuthorizationHeader];
  if (sources.filter(Boolean).length > 1) {
    throw configError('authorization', 'use only one of basic auth, bearerTokenVar, bearerTokenFile and an Authorization header');
  }
  if (username !== '') return { authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
  if (bearerTokenVar !== undefined) return { authorization: `Bearer ${readEnvVar(env, bearerTokenVar, 'bearerTokenVar')}` };
  if (bearerTokenFile !== undefined) return { tokenFile: new TokenFile(bearerTokenFile) };
  return {};
}
