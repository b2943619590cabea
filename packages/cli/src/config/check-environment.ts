/**
 * Checks what a config names outside itself: env vars (credentials, header references) must be set and files
 * (TLS, bearer token) regular files within the sink's size caps. Works on the raw parsed YAML, not the validated config, so that these errors
 * are reported together with shape errors elsewhere in the file instead of one round later.
 */
import { resolve } from 'node:path';

import { newKubeConfig } from '../kube-config-class.js';
import { MAX_TLS_FILE_BYTES, MAX_TOKEN_FILE_BYTES, checkBoundedFileSync } from '@watch-proxy/http-sink';

import type { ConfigFinding } from './check-config.js';
import { envTemplateReferences } from './env-template.js';
import type { ConfigEnv } from './types.js';

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// `tokenVar` is a nats endpoint's; the others are http's (usernameVar/passwordVar also nats').
const ENV_KEYS = ['usernameVar', 'passwordVar', 'bearerTokenVar', 'signingSecretVar', 'tokenVar'] as const;

/**
 * Why the sink could not read `path` (a regular file within `maxBytes`), or undefined when it can. Opens it
 * non-blocking and checks the descriptor, so a FIFO or `/dev/zero` is reported instead of hanging validation.
 */
function unreadable(path: string, maxBytes: number): string | undefined {
  try {
    // Relative paths are cwd-relative, like every other path given to the CLI.
    checkBoundedFileSync(resolve(path), maxBytes);
    return undefined;
  } catch (error) {
    return (error as { reason?: string }).reason ?? 'cannot read file';
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Env vars and files named by `remoteEndpoints[]` (of any type) that are missing. Values that are not well-formed names
 * are skipped (the schema reports them), so a value pasted where a name belongs is never echoed.
 */
export function checkEnvironment(input: unknown, env: ConfigEnv): ConfigFinding[] {
  const findings: ConfigFinding[] = [...checkClusterKubeconfigs(input)];
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
    const requireFile = (path: readonly (string | number)[], name: unknown, maxBytes: number): void => {
      const why = typeof name === 'string' && name !== '' ? unreadable(name, maxBytes) : undefined;
      if (why !== undefined) {
        findings.push({ severity: 'error', path: ['remoteEndpoints', i, ...path], message: `file ${JSON.stringify(name)}: ${why}` });
      }
    };
    for (const key of ENV_KEYS) requireEnv([key], endpoint[key]);
    const headers = record(endpoint['headers']);
    for (const [header, template] of Object.entries(headers ?? {})) {
      const refs = typeof template === 'string' ? envTemplateReferences(template) : undefined;
      if (refs?.ok === true) for (const name of refs.names) requireEnv(['headers', header], name);
    }
    requireFile(['bearerTokenFile'], endpoint['bearerTokenFile'], MAX_TOKEN_FILE_BYTES);
    // A kafka endpoint's SASL credentials.
    const sasl = record(endpoint['sasl']);
    requireEnv(['sasl', 'usernameVar'], sasl?.['usernameVar']);
    requireEnv(['sasl', 'passwordVar'], sasl?.['passwordVar']);
    requireFile(['sasl', 'passwordFile'], sasl?.['passwordFile'], MAX_TOKEN_FILE_BYTES);
    const tls = record(endpoint['tls']);
    for (const key of ['caFile', 'certFile', 'keyFile']) requireFile(['tls', key], tls?.[key], MAX_TLS_FILE_BYTES);
  });
  return findings;
}

/** Largest kubeconfig read: 4 MiB (embedded certificates for dozens of contexts fit easily), as for --kubeconfig. */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Each `clusters[].kubeconfig` file (not `in-cluster`) must be readable, parse as a kubeconfig and have the
 * `context` named (or a current context), whose cluster has a server. Nothing of the file is echoed.
 */
function checkClusterKubeconfigs(input: unknown): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const clusters = record(input)?.['clusters'];
  if (!Array.isArray(clusters)) return findings;
  clusters.forEach((raw, i) => {
    const cluster = record(raw);
    const path = cluster?.['kubeconfig'];
    if (typeof path !== 'string' || path === '' || path === 'in-cluster') return;
    const fail = (key: string, message: string): void => void findings.push({ severity: 'error', path: ['clusters', i, key], message });
    const why = unreadable(path, MAX_KUBECONFIG_BYTES);
    if (why !== undefined) return fail('kubeconfig', `file ${JSON.stringify(path)}: ${why}`);
    const kubeConfig = newKubeConfig();
    try {
      kubeConfig.loadFromFile(resolve(path));
    } catch {
      // The parser's message may quote the file (tokens included): say only that it is not a kubeconfig.
      return fail('kubeconfig', `file ${JSON.stringify(path)}: not a readable kubeconfig`);
    }
    const context = cluster?.['context'];
    if (typeof context === 'string' && context !== '') {
      if (kubeConfig.getContextObject(context) === null) {
        const known = kubeConfig.getContexts().map((c) => JSON.stringify(c.name));
        return fail('context', `no context ${JSON.stringify(context)} in ${JSON.stringify(path)}${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}`);
      }
      kubeConfig.setCurrentContext(context);
    }
    if (kubeConfig.getCurrentCluster() === null) fail(typeof context === 'string' ? 'context' : 'kubeconfig', `the ${typeof context === 'string' ? 'context' : 'current context'} of ${JSON.stringify(path)} names no cluster`);
    return undefined;
  });
  return findings;
}
