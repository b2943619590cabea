import { rejected, retryable } from '@watch-proxy/core/sink';
import type { SendOutcome } from '@watch-proxy/core';

// Broker answers that come back the same however often the same records are sent: the data itself or the topic
// name is unacceptable. Everything else (network, timeouts, leadership moves, authorization an operator can fix,
// a missing topic) is retried by core.
const PERMANENT = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'POLICY_VIOLATION',
]);

/** The Kafka protocol error names (`MESSAGE_TOO_LARGE`, ...) anywhere in an error from the client. */
export function protocolErrorNames(error: unknown): string[] {
  const names: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const apiId = (value as { apiId?: unknown }).apiId;
    if (typeof apiId === 'string') names.push(apiId);
    const nested = (value as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const inner of nested) visit(inner);
    visit((value as { cause?: unknown }).cause);
  };
  visit(error);
  return names;
}

/** Whether the broker said a record (or the request) was larger than it accepts. */
export function isTooLarge(error: unknown): boolean {
  return protocolErrorNames(error).some((name) => name === 'MESSAGE_TOO_LARGE' || name === 'RECORD_LIST_TOO_LARGE');
}

/** A one-line description of a client error: its message plus the broker's error names, never credentials. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const names = [...new Set(protocolErrorNames(error))];
  return names.length === 0 ? message : `${message} (${names.join(', ')})`;
}

/** Classifies a failed produce: permanent broker answers are rejected, all else is retryable. */
export function classifyFailure(error: unknown, target: string): SendOutcome {
  const failure = new Error(`kafka ${target}: ${describeError(error)}`, { cause: error });
  return protocolErrorNames(error).some((name) => PERMANENT.has(name)) ? rejected(failure) : retryable(failure);
}
