/**
 * `watch-proxy validate -c FILE`: the body of the sub-command, kept here so main.ts only wires flags to it.
 * Exit code 0 when the file loads (warnings allowed), 2 when it does not, as for a bad config at startup.
 */
import { formatDiagnostic, loadConfigFile } from './load-config.js';
import type { ConfigEnv, LoadConfigOptions } from './types.js';

/** Where `runValidate` writes: `process.stdout`/`process.stderr`, or a capture in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Options of {@link runValidate}. */
export interface ValidateCommandOptions {
  /** Path of the config file. */
  readonly config: string;
  /** Unknown keys are errors (`--strict`). Default `false`. */
  readonly strict?: boolean;
  /** Check named env vars and files. Default `true`. */
  readonly checkEnvironment?: boolean;
  /** Default `process.env`. */
  readonly env?: ConfigEnv;
  /**
   * What the daemon checks beyond the file before it starts (`checkStartup`, bound to `--dry-run` by main):
   * its errors make the file invalid too, so `validate` passes only what the daemon starts with. Default none.
   */
  readonly startupCheck?: LoadConfigOptions['startupCheck'];
  /** Also print the normalized config as JSON on stdout (no secrets: it holds env var names, not values). */
  readonly print?: boolean;
  /** Receives the summary and, with `print`, the config. */
  readonly stdout: TextSink;
  /** Receives one line per diagnostic, in file order, errors and warnings mixed. */
  readonly stderr: TextSink;
}

/** Validates a config file, prints every diagnostic, and resolves to the exit code: 0 valid, 2 invalid. */
export async function runValidate(options: ValidateCommandOptions): Promise<0 | 2> {
  const result = await loadConfigFile(options.config, {
    ...(options.strict === undefined ? {} : { strict: options.strict }),
    ...(options.checkEnvironment === undefined ? {} : { checkEnvironment: options.checkEnvironment }),
    ...(options.env === undefined ? {} : { env: options.env }),
    startupCheck: options.startupCheck,
  });
  const diagnostics = result.ok ? [...result.warnings] : [...result.errors, ...result.warnings];
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  for (const diagnostic of diagnostics) options.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  const plural = (n: number, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;
  if (!result.ok) {
    options.stderr.write(`${options.config}: invalid (${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')})\n`);
    return 2;
  }
  if (options.print === true) options.stdout.write(`${JSON.stringify(result.config, null, 2)}\n`);
  options.stdout.write(`${options.config}: valid${result.warnings.length > 0 ? ` (${plural(result.warnings.length, 'warning')})` : ''}\n`);
  return 0;
}
