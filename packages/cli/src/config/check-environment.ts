/**
 * Checks what a config names outside itself: env vars (credentials, header references) must be set and files
 * (TLS, bearer token) readable. Works on the raw parsed YAML, not the validated config, so that these errors
 * are reported together with shape errors elsewhere in the file instead of one round later.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';

import type { ConfigFinding } from './check-config.js';
import { envTemplateReferences } from './env-template.js';
import type { ConfigEnv } from './types.js';

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_KEYS = ['usernameVar', 'passwordVar', 'bearerTokenVar', 'signingSecretVar'] as const;

function readable(path: string): boolean {
  try {
    // Relative paths are cwd-relative, like every other path given to the CLI.
    accessSync(resolve(path), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Env vars and files named by `remoteEndpoints[]` that are missing. Values that are not well-formed names
 * are skipped (the schema reports them), so a value pasted where a name belongs is never echoed.
 */
export function checkEnvironment(input: unknown, env: ConfigEnv): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const endpoints = record(input)?.['remoteEndpoints'];
  if (!Array.isArray(endpoints)) return findings;
  endpoints.forEach((raw, i) => {
    const endpoint = record(raw);
    if (endpoint === undefined) return;
    const requireEnv = (path: readonly (string | number)[], name: unknown): void => {
      if (typeof name === 'string' && ENV_VAR_NAME.test(name) && env[name] === undefined) {
        findings.push({ severity: 'error', path: ['remoteEndpoints', i, ...path], message: `environment variable ${name} is not set` });
      }
    };
    const requireFile = (path: readonly (string | number)[], name: unknown): void => {
      if (typeof name === 'string' && name !== '' && !readable(name)) {
        findings.push({
          severity: 'error',
          path: ['remoteEndpoints', i, ...path],
          message: `file ${JSON.stringify(name)} does not exist or is not readable`,
        });
      }
    };
    for (const key of ENV_KEYS) requireEnv([key], endpoint[key]);
    const headers = record(endpoint['headers']);
    for (const [header, template] of Object.entries(headers ?? {})) {
      const refs = typeof template === 'string' ? envTemplateReferences(template) : undefined;
      if (refs?.ok === true) for (const name of refs.names) requireEnv(['headers', header], name);
    }
    requireFile(['bearerTokenFile'], endpoint['bearerTokenFile']);
    const tls = record(endpoint['tls']);
    for (const key of ['caFile', 'certFile', 'keyFile']) requireFile(['tls', key], tls?.[key]);
  });
  return findings;
}
