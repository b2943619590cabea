import type { KubeObject } from '../types.js';
import { WatchError } from '../kube/kube-api-error.js';
import { LineSplitter } from './line-splitter.js';

/** One line of a watch stream, parsed: `type` as the server sent it (checked by the caller). */
export interface RawWatchEvent {
  readonly type: string | undefined;
  readonly object: KubeObject;
}

/**
 * Reads a watch response as newline-delimited JSON: `onLine` for every complete line (its bytes, undecoded),
 * then `onChunk` once per chunk read (a sign of life). Resolves with a last line that had no newline, when it
 * parses (a complete event); throws a `network` `WatchError` when it does not (the stream broke in the middle of
 * an event).
 */
export async function readWatchLines(res: AsyncIterable<Buffer>, onLine: (line: Buffer) => void, onChunk: () => void): Promise<Buffer | undefined> {
  const splitter = new LineSplitter();
  for await (const chunk of res) {
    for (const line of splitter.push(chunk)) onLine(line);
    onChunk();
  }
  const rest = splitter.rest();
  if (rest === undefined) return undefined;
  // A last line without newline parses only if it is complete; a cut one means the stream broke.
  try {
    JSON.parse(rest.toString('utf8'));
  } catch {
    throw new WatchError('network', 'watch stream ended in the middle of an event');
  }
  return rest;
}

/** Parses one watch line (UTF-8 bytes); throws a `protocol` `WatchError` when it is not JSON or carries no object. */
export function parseWatchLine(line: Buffer): RawWatchEvent {
  let event: { type?: string; object?: KubeObject };
  try {
    event = JSON.parse(line.toString('utf8')) as typeof event;
  } catch {
    // Not the parser's message (nor as cause): it quotes the line, which can hold Secret data, and is logged.
    throw new WatchError('protocol', 'malformed watch event: not valid JSON');
  }
  if (typeof event.object !== 'object' || event.object === null) throw new WatchError('protocol', `watch event without object: ${event.type ?? '?'}`);
  return { type: event.type, object: event.object };
}

/** True for the bookmark that ends a streaming list's initial events (KEP-3157). */
export function isInitialEventsEnd(obj: KubeObject): boolean {
  const annotations = (obj['metadata'] as { annotations?: Record<string, string> } | undefined)?.annotations;
  return annotations?.['k8s.io/initial-events-end'] === 'true';
}

/** A failure during a streaming list's initial events that means the server cannot do it (so don't retry it). */
export function streamingListUnsupported(err: unknown): boolean {
  if (!(err instanceof WatchError)) return false;
  // 400/422: the parameters are refused (the WatchList feature gate is off); a stall: no initial-events-end
  // bookmark ever came; an unexpected event type: the server treated the request as a plain watch; an in-stream
  // error naming RequestWatchProgress: the apiserver's etcd cannot serve it (3.4 before 3.4.31, 3.5 before 3.5.13).
  return (
    err.kind === 'invalid' ||
    (err.kind === 'watchdog' && err.watchdog === 'list') ||
    (err.kind === 'protocol' && err.message.startsWith('streaming list:')) ||
    err.message.includes('RequestWatchProgress')
  );
}
