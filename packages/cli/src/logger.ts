/**
 * The daemon's logger: pino, JSON lines by default or a compact human format, always on stderr because stdout
 * carries payloads (`--dry-run`, or a config without `remoteEndpoints`).
 */
import { Writable } from 'node:stream';

import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';

/** `--log-level` values, quietest last. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** `--log-format` values: `json` (one object per line, for collectors) or `pretty` (for people). */
export type LogFormat = 'json' | 'pretty';

/** Every accepted `--log-level`, for the flag's validation and help. */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Every accepted `--log-format`. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Default `info`. */
  readonly level?: LogLevel | undefined;
  /** Default `json`. */
  readonly format?: LogFormat | undefined;
  /** Where lines go. Default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream | undefined;
}

/**
 * Keys whose values are replaced by `[redacted]` wherever they appear in a log object (two levels deep): a
 * last line of defence, since no code path is meant to log credentials at all.
 */
const SECRET_KEYS = ['password', 'username', 'token', 'bearerToken', 'authorization', 'signingSecret', 'secret', 'headers'];
const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** Renders one pino JSON line as `HH:MM:SS.mmm LEVEL msg key=value ...`; a line that is not JSON passes through. */
export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record['time'] === 'number' ? new Date(record['time']).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[record['level'] as number] ?? String(record['level']);
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  return [time, level.padEnd(5), String(record['msg'] ?? ''), ...fields].filter((part) => part !== '').join(' ');
}

/** A stream that re-renders pino's JSON lines with {@link formatPrettyLine}: no pino-pretty dependency. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback): void {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const text = lines.map((line) => `${formatPrettyLine(line)}\n`).join('');
      if (text === '' || out.write(text)) callback();
      else out.once('drain', () => callback());
    },
  });
}

/** Creates the daemon's root logger. */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const out = options.stream ?? process.stderr;
  const destination = options.format === 'pretty' ? prettyStream(out) : out;
  return pino(
    {
      name: 'watch-proxy',
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
