/**
 * `${VAR}` references in header values: secrets stay in Kubernetes Secrets exposed as env vars (the original's
 * `usernameVar`/`passwordVar` idea, generalized), and the loaded config holds only the template, never a value.
 */
import { ConfigError } from '@watch-proxy/core';

import type { ConfigEnv } from './types.js';

const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The outcome of {@link envTemplateReferences}. */
export type EnvTemplateReferences =
  | { readonly ok: true; readonly names: readonly string[] }
  | { readonly ok: false; readonly message: string };

/** The env var names a template references, or why it is malformed (`${}` or `${1X}`). Never reads the env. */
export function envTemplateReferences(template: string): EnvTemplateReferences {
  const names: string[] = [];
  for (const match of template.matchAll(REFERENCE)) {
    const name = match[1];
    if (name === undefined) continue; // `$$`
    if (!NAME.test(name)) {
      return { ok: false, message: `invalid environment variable reference ${JSON.stringify(match[0])} (expected \${NAME}; write $$ for a literal $)` };
    }
    if (!names.includes(name)) names.push(name);
  }
  return { ok: true, names };
}

/**
 * The value of an env var as a credential: one trailing newline stripped, because Secrets created from files
 * usually end with one (the original did the same for its basic-auth variables). `undefined` when unset.
 */
export function readEnvSecret(env: ConfigEnv, name: string): string | undefined {
  const value = env[name];
  return value?.endsWith('\n') === true ? value.slice(0, -1) : value;
}

/**
 * Expands `${VAR}` (one trailing newline of the value stripped) and `$$` in `template`.
 * Throws a `ConfigError` about `option` (the key the template is the value of) naming, never showing, an unset
 * variable; the loader has already checked they are set.
 */
export function expandEnvTemplate(template: string, env: ConfigEnv = process.env, option = 'headers'): string {
  return template.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    const value = readEnvSecret(env, name);
    if (value === undefined) {
      const reason = `environment variable ${name} is not set`;
      throw new ConfigError(option, reason, { message: reason });
    }
    return value;
  });
}
