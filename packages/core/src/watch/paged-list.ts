import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger.js';
import type { KubeObject } from '../types.js';
import { WatchError } from '../kube/kube-api-error.js';
import { ConnectionPool } from '../kube/kube-transport.js';
import type { KubeTransport, Query } from '../kube/kube-transport.js';
import type { ListEnvelope } from './list-parser.js';
import { LIST_HEAD_BYTES, ListPageReader, continueTokenAtHead } from './list-page-reader.js';
import { CANCELLED, STOPPED } from './request-guard.js';
import type { GuardSet, RequestGuard } from './request-guard.js';

/** What one paginated list needs. Durations in milliseconds. */
export interface PagedListOptions {
  readonly transport: KubeTransport;
  /** Where the page requests are registered, so `stop()` and `relist()` abort them. */
  readonly guards: GuardSet;
  /** The collection's path (`/api/v1/namespaces/a/configmaps`). */
  readonly path: string;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  /** Objects per page (`limit`). */
  readonly pageSize: number;
  /** Bound on a page's response headers. */
  readonly connectTimeoutMs: number;
  /** Bound on a whole page, from when it is read. */
  readonly listPageTimeoutMs: number;
  /** Turns each listed item, as it is parsed, into what the list keeps. */
  readonly onItem: (item: KubeObject) => KubeObject;
  /** True once the reflector stopped: no page is requested any more, and reads end with `STOPPED`. */
  readonly isStopped: () => boolean;
  readonly logger: Logger;
  /** For logs only. */
  readonly namespace: string | undefined;
}

/** A complete list. */
export interface ListedPages {
  readonly items: KubeObject[];
  /** The resourceVersion of the first page: the list's snapshot. */
  readonly resourceVersion: string | undefined;
  /** Pages read (the last attempt's, after a fallback to one unpaginated list). */
  readonly pages: number;
}

/** A list page requested and not read yet. */
interface PageRequest {
  readonly path: string;
  readonly guard: RequestGuard;
  readonly response: Promise<IncomingMessage>;
}

/**
 * Lists a collection in pages of `pageSize`, as a consistent read from etcd (no resourceVersion, so never back in
 * time), requesting each next page as soon as its continue token shows at the head of the page before it. An
 * expired continue token falls back to one unpaginated list, as client-go does. Throws a `WatchError` (or
 * `STOPPED`, or the abort reason of the guards: `RELIST`) when it cannot finish.
 */
export async function listInPages(o: PagedListOptions): Promise<ListedPages> {
  const items: KubeObject[] = [];
  const query = (limit: number | undefined, cont: string | undefined): Query => ({
    limit,
    continue: cont,
    labelSelector: o.labelSelector,
    fieldSelector: o.fieldSelector,
  });
  let limit: number | undefined = o.pageSize;
  let cont: string | undefined;
  let rv: string | undefined;
  let pages = 0;
  let fellBack = false;
  // The pages share keep-alive connections, closed when the list ends however it ends.
  const pool = new ConnectionPool();
  let request: PageRequest | undefined;
  // The next page, requested as soon as this page's continue token showed at the head of its body, so the
  // apiserver reads and encodes it while this one is still arriving and being parsed.
  let next: { readonly token: string; readonly request: PageRequest } | undefined;
  try {
    request = requestPage(o, query(limit, cont), pool);
    for (;;) {
      let envelope: ListEnvelope;
      try {
        envelope = await readPage(o, request, items, (token) => {
          if (limit !== undefined && !o.isStopped()) next = { token, request: requestPage(o, query(limit, token), pool) };
        });
      } catch (err) {
        if (next !== undefined) cancelPage(next.request);
        next = undefined;
        if (err instanceof WatchError && err.kind === 'gone' && cont !== undefined && !fellBack) {
          // The continue token expired (compaction while we paged): one full, unpaginated list, as client-go does.
          o.logger.info({ pages, namespace: o.namespace }, 'continue token expired; listing without pages');
          fellBack = true;
          items.length = 0;
          cont = undefined;
          limit = undefined;
          rv = undefined;
          pages = 0;
          request = requestPage(o, query(limit, cont), pool);
          continue;
        }
        throw err;
      }
      pages++;
      rv ??= envelope.metadata?.resourceVersion;
      cont = envelope.metadata?.continue;
      const prefetched = next;
      next = undefined;
      if (cont === undefined || cont === '') {
        if (prefetched !== undefined) cancelPage(prefetched.request);
        break;
      }
      if (prefetched?.token === cont) {
        request = prefetched.request;
      } else {
        // Not seen early (or, in theory, not the token the body ended with): ask for the page now.
        if (prefetched !== undefined) cancelPage(prefetched.request);
        request = requestPage(o, query(limit, cont), pool);
      }
    }
  } finally {
    if (next !== undefined) cancelPage(next.request);
    pool.close();
  }
  return { items, resourceVersion: rv, pages };
}

/**
 * Sends one list page request and returns at once; `readPage` reads it, `cancelPage` abandons it. The headers
 * watchdog runs from now, the whole-page one from when the page is read (a page requested early waits for the one
 * before it). Throws STOPPED when stopped.
 */
function requestPage(o: PagedListOptions, query: Query, pool: ConnectionPool): PageRequest {
  if (o.isStopped()) throw STOPPED;
  const guard = o.guards.arm();
  const connect = guard.watchdog('connect', o.connectTimeoutMs, 'no response headers');
  const response = o.transport.open(o.path, query, guard.signal, pool);
  // Settled handlers only: a failure is seen (and classified) when the page is read, or ignored when cancelled.
  response.then(
    () => connect.clear(),
    () => {},
  );
  return { path: o.path, guard, response };
}

/** Aborts a page request that will not be read, and closes its response if it has one. */
function cancelPage(request: PageRequest): void {
  request.guard.abort(CANCELLED);
  request.guard.release();
  request.response.then(
    (res) => res.destroy(),
    () => {},
  );
}

/**
 * Reads a requested page into `items`, calling `onContinue` once with the continue token if the head of the body
 * shows one before the items (where the apiserver writes the list metadata).
 */
async function readPage(o: PagedListOptions, request: PageRequest, items: KubeObject[], onContinue: (token: string) => void): Promise<ListEnvelope> {
  const { path, guard } = request;
  guard.watchdog('list', o.listPageTimeoutMs, 'list page timed out');
  let res: IncomingMessage | undefined;
  try {
    res = await request.response;
    // One JSON.parse per page (a page is bounded by limit); a body past the reader's bound streams instead.
    const reader = new ListPageReader((item) => items.push(o.onItem(item)));
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (head !== undefined) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const token = continueTokenAtHead(head);
        if (token !== undefined || head.length >= LIST_HEAD_BYTES) head = undefined;
        if (token !== undefined && token !== '') onContinue(token);
      }
      reader.write(chunk);
    }
    return reader.end();
  } catch (err) {
    throw guard.abortReason(o.isStopped()) ?? (err instanceof SyntaxError ? new WatchError('protocol', `list ${path}: ${err.message}`, { cause: err }) : err);
  } finally {
    guard.release();
    res?.destroy();
  }
}
