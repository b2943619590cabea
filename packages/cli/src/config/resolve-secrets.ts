/**
 * Reads an endpoint's credentials from the environment at the moment a sink is built, so the frozen config
 * (which may be logged or diffed on reload) never contains them.
 */
import { ConfigError } from '@watch-proxy/core';

import { expandEnvTemplate, readEnvSecret } from './env-template.js';
import type { ConfigEnv, EndpointConfig } from './types.js';

/** Credentials and headers of one endpoint, resolved from env vars. Do not log. */
export interface EndpointSecrets {
  /** Basic-auth username (trailing newline stripped); `null` when unset or empty, which means no basic auth. */
  readonly username: string | null;
  /** Basic-auth password; `''` when `passwordVar` is unset. Only meaningful with a username. */
  readonly password: string;
  /** Bearer token from `bearerTokenVar`; `null` when unset (`bearerTokenFile` is read by the sink itself). */
  readonly bearerToken: string | null;
  /** HMAC signing secret from `signingSecretVar`; `null` = requests are not signed. */
  readonly signingSecret: string | null;
  /** `headers` with every `${VAR}` expanded. */
  readonly headers: Readonly<Record<string, string>>;
}

function read(env: ConfigEnv, option: string, name: string | undefined): string | null {
  if (name === undefined) return null;
  const value = readEnvSecret(env, name);
  if (value === undefined) {
    const reason = `environment variable ${name} is not set`;
    throw new ConfigError(option, reason, { message: reason });
  }
  return value;
}

/**
 * Resolves `endpoint`'s env-var references. Throws a `ConfigError` naming (never showing) a variable that is unset;
 * after a successful load with `checkEnvironment` that only happens if the environment changed since.
 */
export function resolveEndpointSecrets(endpoint: EndpointConfig, env: ConfigEnv = process.env): EndpointSecrets {
  const username = read(env, 'usernameVar', endpoint.usernameVar);
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(endpoint.headers)) headers[name] = expandEnvTemplate(template, env, `headers.${name}`);
  return {
    username: username === '' ? null : username,
    password: read(env, 'passwordVar', endpoint.passwordVar) ?? '',
    bearerToken: read(env, 'bearerTokenVar', endpoint.bearerTokenVar),
    signingSecret: read(env, 'signingSecretVar', endpoint.signingSecretVar),
    headers,
  };
}
