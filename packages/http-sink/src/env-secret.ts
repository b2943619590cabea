import { configError } from './config-error.js';

/**
 * Reads the environment variable `name`, stripping one trailing `\n` as the original did (secrets mounted from
 * files often end with one). A missing variable is an error that names the variable, never a value.
 */
export function readEnvVar(env: Readonly<Record<string, string | undefined>>, name: string, option: string): string {
  const value = env[name];
  if (value === undefined) throw configError(option, `environment variable ${name} is not set`);
  return stripNewline(value);
}

/** Strips exactly one trailing `\n` (Go's `strings.TrimSuffix(s, "\n")`). */
export function stripNewline(value: string): string {
  return value.endsWith('\n') ? value.slice(0, -1) : value;
}
