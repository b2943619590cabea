import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger.js';
import type { KubeObject } from '../types.js';
import { Backoff } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { WatchError, errorFromStatus, toWatchError } from './kube-api-error.js';
import type { KubeStatus, WatchdogKind } from './kube-api-error.js';
import { ConnectionPool } from './kube-transport.js';
import type { KubeTransport, Query } from './kube-transport.js';
import { LineSplitter } from './line-splitter.js';
import { planRecovery } from './recovery-plan.js';
import type { ListEnvelope } from './list-parser.js';
import { LIST_HEAD_BYTES, ListPageReader, continueTokenAtHead } from './list-page-reader.js';
import { withoutManagedFields } from './managed-fields.js';
import type { ObjectStore } from './object-store.js';
import { resourceVersionOf } from './object-store.js';
import type { ResolvedResource, WatchEvent } from './watch-event.js';
import { setLongTimeout } from '../internal/long-timeout.js';
import type { LongTimer } from '../internal/long-timeout.js';

/**
 * Where a watcher is:
 * - `idle`: not started;
 * - `syncing`: listing (initial list or relist);
 * - `watching`: a watch stream is established (a routine reconnect after a server timeout keeps this state);
 * - `backoff`: waiting to retry after a transient failure;
 * - `degraded`: waiting to retry after a failure that needs someone to act (403, 404 such as a CRD that is not
 *   installed, 400); retried with the long backoff, never given up;
 * - `stopped`: `stop()` was called.
 */
export type WatcherState = 'idle' | 'syncing' | 'watching' | 'backoff' | 'degraded' | 'stopped';

/** The last failure a watcher saw, as kept in its health. */
export interface WatchErrorInfo {
  readonly kind: WatchError['kind'];
  readonly code: WatchError['code'];
  /** HTTP status or watch `ERROR` code, when there was one. */
  readonly status?: number;
  readonly message: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** Counters and timestamps of one list+watch loop (a namespace, or the whole cluster). Times are epoch ms. */
export interface ScopeHealth {
  /** The namespace watched, or `undefined` for a cluster-wide watch. */
  readonly namespace: string | undefined;
  readonly state: WatcherState;
  /** True once the first complete list was handed out; stays true. */
  readonly synced: boolean;
  /** Current resourceVersion: the list's, then advanced by every event and bookmark. */
  readonly resourceVersion: string | undefined;
  readonly lastEventAt: number | undefined;
  readonly lastBookmarkAt: number | undefined;
  /** When the last complete list finished. */
  readonly lastListAt: number | undefined;
  /** Pages and objects of the last complete list, and how long it took (ms). `pages` is 0 for a streaming list. */
  readonly lastList: { readonly pages: number; readonly objects: number; readonly durationMs: number } | undefined;
  /** Complete lists after the first one (410, recovery from degraded, reconcile). */
  readonly relists: number;
  /** Watch requests opened after the first one (server timeouts included). */
  readonly reconnects: number;
  /** Failed list or watch attempts since the last success. */
  readonly consecutiveFailures: number;
  /** Failed list or watch attempts in total. */
  readonly failures: number;
  /** Requests aborted by each watchdog. Not errors a user must act on; counted for diagnosis. */
  readonly watchdogAborts: Readonly<Record<WatchdogKind, number>>;
  readonly lastError: WatchErrorInfo | undefined;
  /** When the next attempt is due, while in `backoff` or `degraded`. */
  readonly nextAttemptAt: number | undefined;
  /** Since when the loop has not had an established watch stream (undefined while it has one). */
  readonly notWatchingSince: number | undefined;
}

/** Timeouts and pacing of a reflector. All durations in milliseconds unless the name says seconds. */
export interface ReflectorTiming {
  /** Objects per list page (`limit`). Default: 500. */
  readonly pageSize?: number | undefined;
  /** Abort a request whose response headers have not arrived after this long. Default: 30,000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Abort a list page that has not fully arrived after this long. Default: 60,000 ms. */
  readonly listPageTimeoutMs?: number | undefined;
  /**
   * Abort a watch stream silent (no event, no bookmark) for this long, counted from the moment its headers
   * arrived, so a path that dies right after the watch opens is noticed within this bound. Apiservers send a
   * bookmark about every minute, so a healthy stream never trips it; on a server that sends none (its watch
   * cache is off for the resource), a quiet stream is re-opened from its resourceVersion once per bound.
   * Default: 150,000 ms.
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Server-side watch timeout (`timeoutSeconds`) is drawn from this range, in seconds. Default: [300, 600]. */
  readonly watchTimeoutSeconds?: readonly [min: number, max: number] | undefined;
  /** A watch still open this long after its `timeoutSeconds` is aborted. Default: 60,000 ms. */
  readonly deadlineGraceMs?: number | undefined;
  /** Retry delays. */
  readonly backoff?: BackoffOptions | undefined;
}

/** What a reflector needs from the watcher that owns it. */
export interface ReflectorDeps {
  readonly transport: KubeTransport;
  /** The resource; called before every list, so a re-resolved resource (a re-created CRD) is picked up. */
  readonly resource: () => ResolvedResource;
  /** Called after a 404, so the next attempt resolves the resource again. */
  readonly onNotFound?: () => Promise<void>;
  readonly namespace: string | undefined;
  readonly store: ObjectStore;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  /** Try a streaming list (`sendInitialEvents`) before falling back to a paginated list. */
  readonly streamingList: boolean;
  /** Remove `metadata.managedFields` from every object as it is parsed, before it is stored or emitted. */
  readonly dropManagedFields: boolean;
  readonly timing: ReflectorTiming;
  readonly logger: Logger;
  /** Hands one event to the handlers (isolation is the caller's job). Never called after `stop()`. */
  readonly emit: (event: WatchEvent) => void;
  /** Called for each new or changed listed object as it is read (see `WatchHandlers.onListItem`). Optional. */
  readonly onListItem?: ((object: KubeObject) => void) | undefined;
  /** Called after every complete list, once its events were emitted. */
  readonly onListed: (objects: readonly KubeObject[]) => void;
  /** Called when a list or watch failed (already logged). */
  readonly onError: (error: WatchError) => void;
  /** Called on every state change. */
  readonly onState: () => void;
}

const STOPPED = Symbol('stopped');
const RELIST = Symbol('relist');
// Abort reason of a prefetched list page that is not going to be read.
const CANCELLED = Symbol('cancelled');

interface Armed {
  readonly controller: AbortController;
  timers: LongTimer[];
  idle: LongTimer | undefined;
}

/** A list page requested and not read yet. */
interface PageRequest {
  readonly path: string;
  readonly armed: Armed;
  readonly response: Promise<IncomingMessage>;
}

/**
 * One list+watch loop for one scope (a namespace, or cluster-wide): paginated list, then watch from the list's
 * resourceVersion with bookmarks and a server timeout, forever, until `stop()`. Internal to `ResourceWatcher`.
 */
export class Reflector {
  readonly #deps: ReflectorDeps;
  readonly #backoff: Backoff;
  readonly #pageSize: number;
  readonly #connectTimeoutMs: number;
  readonly #listPageTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #watchTimeout: readonly [number, number];
  readonly #deadlineGraceMs: number;
  readonly #inScope: (key: string) => boolean;
  readonly #ingest: (obj: KubeObject) => KubeObject;
  #state: WatcherState = 'idle';
  #stopped = false;
  #loop: Promise<void> | undefined;
  // Requests in flight: the watch, or a list page and the next one.
  readonly #inFlight = new Set<Armed>();
  #wake: (() => void) | undefined;
  #rv: string | undefined;
  #needList = true;
  #goneStreak = 0;
  #synced = false;
  // Streaming lists are tried until the server shows it does not support them.
  #streaming: boolean;
  #initialItems: KubeObject[] | undefined;
  #initialStarted = 0;
  #health = {
    lastEventAt: undefined as number | undefined,
    lastBookmarkAt: undefined as number | undefined,
    lastListAt: undefined as number | undefined,
    lastList: undefined as ScopeHealth['lastList'],
    relists: 0,
    lists: 0,
    watches: 0,
    consecutiveFailures: 0,
    failures: 0,
    watchdogAborts: { connect: 0, idle: 0, deadline: 0, list: 0 } as Record<WatchdogKind, number>,
    lastError: undefined as WatchErrorInfo | undefined,
    nextAttemptAt: undefined as number | undefined,
    notWatchingSince: undefined as number | undefined,
  };

  constructor(deps: ReflectorDeps) {
    this.#deps = deps;
    const t = deps.timing;
    this.#backoff = new Backoff(t.backoff);
    this.#pageSize = t.pageSize ?? 500;
    this.#connectTimeoutMs = t.connectTimeoutMs ?? 30_000;
    this.#listPageTimeoutMs = t.listPageTimeoutMs ?? 60_000;
    this.#idleTimeoutMs = t.idleTimeoutMs ?? 150_000;
    this.#watchTimeout = t.watchTimeoutSeconds ?? [300, 600];
    this.#deadlineGraceMs = t.deadlineGraceMs ?? 60_000;
    this.#streaming = deps.streamingList;
    const ns = deps.namespace;
    this.#inScope = ns === undefined ? () => true : (key) => key.startsWith(`${ns}/`);
    this.#ingest = deps.dropManagedFields ? withoutManagedFields : (obj) => obj;
  }

  /** Current state. */
  get state(): WatcherState {
    return this.#state;
  }

  /** True once the first complete list was handed out. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.#loop !== undefined || this.#stopped) return;
    this.#health.notWatchingSince = Date.now();
    this.#loop = this.#run().catch((err: unknown) => {
      // #run catches everything itself; reaching here is a bug, reported rather than crashing the host.
      this.#deps.logger.error({ err }, 'reflector loop failed unexpectedly');
    });
  }

  /** Aborts the request in flight, cancels timers, and resolves when the loop has ended. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#setState('stopped');
      for (const armed of this.#inFlight) armed.controller.abort(STOPPED);
      this.#wake?.();
    }
    await this.#loop;
  }

  /**
   * Makes the loop relist now (a reconcile against the server): aborts the current watch; the list that follows
   * reports differences like any relist. Ignored while stopped.
   */
  relist(): void {
    if (this.#stopped) return;
    this.#needList = true;
    for (const armed of this.#inFlight) armed.controller.abort(RELIST);
    this.#wake?.();
  }

  /** A snapshot of this loop's health. */
  health(): ScopeHealth {
    const h = this.#health;
    return {
      namespace: this.#deps.namespace,
      state: this.#state,
      synced: this.#synced,
      resourceVersion: this.#rv,
      lastEventAt: h.lastEventAt,
      lastBookmarkAt: h.lastBookmarkAt,
      lastListAt: h.lastListAt,
      lastList: h.lastList,
      relists: h.relists,
      reconnects: Math.max(0, h.watches - 1),
      consecutiveFailures: h.consecutiveFailures,
      failures: h.failures,
      watchdogAborts: { ...h.watchdogAborts },
      lastError: h.lastError,
      nextAttemptAt: h.nextAttemptAt,
      notWatchingSince: h.notWatchingSince,
    };
  }

  #setState(state: WatcherState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#deps.onState();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#needList) {
          if (this.#state !== 'degraded') this.#setState('syncing');
          if (this.#streaming) {
            // List and watch on one stream; needList is cleared once the initial events ended.
            await this.#watch(true);
            continue;
          }
          await this.#list();
          this.#needList = false;
        }
        await this.#watch(false);
      } catch (err) {
        const streamingListFailed = this.#initialItems !== undefined;
        this.#initialItems = undefined;
        if (this.#stopped || err === STOPPED) break;
        if (err === RELIST) continue;
        if (streamingListFailed && this.#streamingUnsupported(err)) {
          this.#streaming = false;
          if (err instanceof WatchError && err.watchdog !== undefined) this.#health.watchdogAborts[err.watchdog]++;
          this.#deps.logger.info({ err: (err as Error).message, namespace: this.#deps.namespace }, 'streaming list not supported; listing in pages');
          continue;
        }
        const delay = await this.#onFailure(toWatchError(err, 'list/watch'));
        if (delay > 0) await this.#sleep(delay);
      }
    }
  }

  /** Records a failure and decides what comes next; returns the delay before the next attempt (ms). */
  async #onFailure(error: WatchError): Promise<number> {
    const h = this.#health;
    const now = Date.now();
    h.failures++;
    h.consecutiveFailures++;
    h.lastError = {
      kind: error.kind,
      code: error.code,
      ...(error.status === undefined ? {} : { status: error.status }),
      message: error.message,
      at: now,
    };
    if (error.kind === 'watchdog' && error.watchdog !== undefined) h.watchdogAborts[error.watchdog]++;
    if (error.kind === 'gone') {
      this.#goneStreak++;
      this.#rv = undefined;
    }
    const plan = planRecovery(error.kind, this.#goneStreak);
    const log = { kind: error.kind, status: error.status, namespace: this.#deps.namespace, resourceVersion: this.#rv, err: error.message };
    const message =
      error.kind === 'watchdog'
        ? `${error.watchdog ?? 'a'} watchdog aborted the request; retrying`
        : error.kind === 'gone'
          ? 'resourceVersion expired; relisting'
          : 'list/watch failed';
    this.#deps.logger[plan.log](log, message);
    if (plan.report) this.#deps.onError(error);
    if (plan.relist) this.#needList = true;
    const delay = plan.wait === 'none' ? 0 : this.#backoff.next(now, { degraded: plan.wait === 'degraded', minMs: error.retryAfterMs });
    this.#setState(plan.state);
    if (plan.reresolve) await this.#deps.onNotFound?.();
    h.nextAttemptAt = delay > 0 ? now + delay : undefined;
    return delay;
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setLongTimeout(done, ms);
      function done(): void {
        timer.clear();
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
    this.#health.nextAttemptAt = undefined;
  }

  #arm(): Armed {
    const armed: Armed = { controller: new AbortController(), timers: [], idle: undefined };
    this.#inFlight.add(armed);
    return armed;
  }

  #disarm(armed: Armed): void {
    for (const t of armed.timers) t.clear();
    armed.timers = [];
    armed.idle?.clear();
    this.#inFlight.delete(armed);
  }

  #watchdog(armed: Armed, kind: WatchdogKind, ms: number, message: string): LongTimer {
    const timer = setLongTimeout(() => {
      armed.controller.abort(new WatchError('watchdog', `${message} (${ms} ms)`, { watchdog: kind }));
    }, ms);
    armed.timers.push(timer);
    return timer;
  }

  #basePath(): string {
    const { ref } = this.#deps.resource();
    const root = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
    const ns = ref.namespaced && this.#deps.namespace !== undefined ? `/namespaces/${encodeURIComponent(this.#deps.namespace)}` : '';
    return `${root}${ns}/${ref.resource}`;
  }

  #throwIfStopped(): void {
    if (this.#stopped) throw STOPPED;
  }

  async #list(): Promise<void> {
    const started = Date.now();
    const path = this.#basePath();
    const items: KubeObject[] = [];
    // No resourceVersion: a consistent read from etcd, which honours limit/continue, so we never go back in time.
    const query = (limit: number | undefined, cont: string | undefined): Query => ({
      limit,
      continue: cont,
      labelSelector: this.#deps.labelSelector,
      fieldSelector: this.#deps.fieldSelector,
    });
    let limit: number | undefined = this.#pageSize;
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
      request = this.#requestPage(path, query(limit, cont), pool);
      for (;;) {
        let envelope: ListEnvelope;
        try {
          envelope = await this.#readPage(request, items, (token) => {
            if (limit !== undefined && !this.#stopped) next = { token, request: this.#requestPage(path, query(limit, token), pool) };
          });
        } catch (err) {
          if (next !== undefined) this.#cancelPage(next.request);
          next = undefined;
          if (err instanceof WatchError && err.kind === 'gone' && cont !== undefined && !fellBack) {
            // The continue token expired (compaction while we paged): one full, unpaginated list, as client-go does.
            this.#deps.logger.info({ pages, namespace: this.#deps.namespace }, 'continue token expired; listing without pages');
            fellBack = true;
            items.length = 0;
            cont = undefined;
            limit = undefined;
            rv = undefined;
            pages = 0;
            request = this.#requestPage(path, query(limit, cont), pool);
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
          if (prefetched !== undefined) this.#cancelPage(prefetched.request);
          break;
        }
        if (prefetched?.token === cont) {
          request = prefetched.request;
        } else {
          // Not seen early (or, in theory, not the token the body ended with): ask for the page now.
          if (prefetched !== undefined) this.#cancelPage(prefetched.request);
          request = this.#requestPage(path, query(limit, cont), pool);
        }
      }
    } finally {
      if (next !== undefined) this.#cancelPage(next.request);
      pool.close();
    }
    this.#throwIfStopped();
    this.#finishList(items, rv, pages, started);
  }

  /** Hands out what a complete list changed and records it; `started` is epoch ms. */
  #finishList(items: readonly KubeObject[], rv: string | undefined, pages: number, started: number): void {
    const events = this.#deps.store.replace(items, this.#inScope);
    for (const event of events) {
      if (this.#stopped) return;
      this.#deps.emit(event);
    }
    const h = this.#health;
    const now = Date.now();
    this.#rv = rv;
    h.lists++;
    if (h.lists > 1) h.relists++;
    h.lastListAt = now;
    h.lastList = { pages, objects: items.length, durationMs: now - started };
    h.consecutiveFailures = 0;
    h.lastError = undefined;
    this.#deps.logger.debug({ pages, objects: items.length, resourceVersion: rv, namespace: this.#deps.namespace }, 'listed');
    this.#synced = true;
    this.#needList = false;
    this.#deps.onListed(items);
  }

  /** A failure during a streaming list's initial events that means the server cannot do it (so don't retry it). */
  #streamingUnsupported(err: unknown): boolean {
    if (!(err instanceof WatchError)) return false;
    // 400/422: the parameters are refused; a stall: no initial-events-end bookmark ever came; an unexpected
    // event type: the server treated the request as a plain watch.
    return err.kind === 'invalid' || (err.kind === 'watchdog' && err.watchdog === 'list') || (err.kind === 'protocol' && err.message.startsWith('streaming list:'));
  }

  /**
   * Sends one list page request and returns at once; `#readPage` reads it, `#cancelPage` abandons it. The
   * headers watchdog runs from now, the whole-page one from when the page is read (a page requested early waits
   * for the one before it). Throws STOPPED when stopped.
   */
  #requestPage(path: string, query: Query, pool: ConnectionPool): PageRequest {
    this.#throwIfStopped();
    const armed = this.#arm();
    const connect = this.#watchdog(armed, 'connect', this.#connectTimeoutMs, 'no response headers');
    const response = this.#deps.transport.open(path, query, armed.controller.signal, pool);
    // Settled handlers only: a failure is seen (and classified) when the page is read, or ignored when cancelled.
    response.then(
      () => connect.clear(),
      () => {},
    );
    return { path, armed, response };
  }

  /** Aborts a page request that will not be read, and closes its response if it has one. */
  #cancelPage(request: PageRequest): void {
    request.armed.controller.abort(CANCELLED);
    this.#disarm(request.armed);
    request.response.then(
      (res) => res.destroy(),
      () => {},
    );
  }

  /**
   * One object of a list, as it is read: unchanged objects are kept once (the cached copy), so a relist holds
   * only what changed twice; new and changed ones are handed to `onListItem` so the pipeline's work on them
   * overlaps the download of the rest of the list.
   */
  #listed(obj: KubeObject): KubeObject {
    const kept = this.#deps.store.dedupe(obj);
    if (kept === obj) this.#deps.onListItem?.(obj);
    return kept;
  }

  /**
   * Reads a requested page into `items`, calling `onContinue` once with the continue token if the head of the
   * body shows one before the items (where the apiserver writes the list metadata).
   */
  async #readPage(request: PageRequest, items: KubeObject[], onContinue: (token: string) => void): Promise<ListEnvelope> {
    const { path, armed } = request;
    this.#watchdog(armed, 'list', this.#listPageTimeoutMs, 'list page timed out');
    let res: IncomingMessage | undefined;
    try {
      res = await request.response;
      // One JSON.parse per page (a page is bounded by limit); a body past the reader's bound streams instead.
      const reader = new ListPageReader((item) => items.push(this.#listed(this.#ingest(item))));
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
      throw this.#abortReason(armed) ?? (err instanceof SyntaxError ? new WatchError('protocol', `list ${path}: ${err.message}`, { cause: err }) : err);
    } finally {
      this.#disarm(armed);
      res?.destroy();
    }
  }

  #abortReason(armed: Armed): unknown {
    if (this.#stopped) return STOPPED;
    if (armed.controller.signal.reason === RELIST) return RELIST;
    return armed.controller.signal.aborted ? armed.controller.signal.reason : undefined;
  }

  /**
   * One watch request. With `initial`, it is a streaming list (KEP-3157): the server first sends every object as
   * ADDED, then a bookmark marking the end of the initial events, and the same stream goes on as a watch.
   */
  async #watch(initial: boolean): Promise<void> {
    this.#throwIfStopped();
    const [min, max] = this.#watchTimeout;
    const timeoutSeconds = Math.round(min + Math.random() * Math.max(0, max - min));
    const path = this.#basePath();
    const query: Query = {
      watch: 1,
      // A streaming list without resourceVersion is a consistent read, like our paginated list.
      ...(initial ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' } : { resourceVersion: this.#rv }),
      allowWatchBookmarks: true,
      timeoutSeconds,
      labelSelector: this.#deps.labelSelector,
      fieldSelector: this.#deps.fieldSelector,
    };
    this.#initialStarted = Date.now();
    this.#initialItems = initial ? [] : undefined;
    const armed = this.#arm();
    const connect = this.#watchdog(armed, 'connect', this.#connectTimeoutMs, 'no response headers');
    this.#watchdog(armed, 'deadline', timeoutSeconds * 1000 + this.#deadlineGraceMs, 'watch outlived its timeoutSeconds');
    // One silence watchdog at a time, armed from the moment the stream opens: while initial events stream, a
    // stall is a list timeout; afterwards a silent stream is an idle timeout.
    const rearmIdle = (): void => {
      armed.idle?.clear();
      const listing = this.#initialItems !== undefined;
      const ms = listing ? this.#listPageTimeoutMs : this.#idleTimeoutMs;
      const kind: WatchdogKind = listing ? 'list' : 'idle';
      armed.idle = setLongTimeout(() => {
        armed.controller.abort(new WatchError('watchdog', `${listing ? 'initial events stalled' : 'watch stream silent'} (${ms} ms)`, { watchdog: kind }));
      }, ms);
    };
    const established = (): void => {
      this.#setState('watching');
      // Only an established stream counts as watching for staleness: attempts that never get headers do not.
      this.#health.notWatchingSince = undefined;
      this.#backoff.markHealthy(Date.now());
      this.#health.consecutiveFailures = 0;
    };
    let res: IncomingMessage | undefined;
    const opened = Date.now();
    let progressed = false;
    try {
      res = await this.#deps.transport.open(path, query, armed.controller.signal);
      connect.clear();
      this.#health.watches++;
      if (!initial) established();
      rearmIdle();
      const splitter = new LineSplitter();
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) {
          const wasListing = this.#initialItems !== undefined;
          if (this.#handleLine(line)) progressed = true;
          if (this.#stopped) throw STOPPED;
          if (wasListing && this.#initialItems === undefined) established();
        }
        rearmIdle();
      }
      const rest = splitter.rest();
      if (rest !== undefined) {
        // A last line without newline parses only if it is complete; a cut one means the stream broke.
        let complete = true;
        try {
          JSON.parse(rest);
        } catch {
          complete = false;
        }
        if (!complete) throw new WatchError('network', 'watch stream ended in the middle of an event');
        if (this.#handleLine(rest)) progressed = true;
      }
      if (this.#initialItems !== undefined) throw new WatchError('network', 'streaming list ended before its initial events did');
      if (!progressed && Date.now() - opened < 1000) {
        // client-go's VeryShortWatchError: a server closing at once would otherwise make us spin.
        throw new WatchError('network', 'watch closed immediately without events');
      }
    } catch (err) {
      const reason = this.#abortReason(armed);
      if (reason !== undefined) throw reason;
      if (err instanceof WatchError || err === STOPPED) throw err;
      if (err instanceof SyntaxError) throw new WatchError('protocol', `watch ${path}: ${err.message}`, { cause: err });
      throw toWatchError(err, `watch ${path}`);
    } finally {
      this.#disarm(armed);
      res?.destroy();
      this.#health.notWatchingSince ??= Date.now();
    }
  }

  /** Applies one watch event; returns true when it advanced the resourceVersion. Throws on `ERROR` events. */
  #handleLine(line: string): boolean {
    let event: { type?: string; object?: KubeObject };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      // Not the parser's message (nor as cause): it quotes the line, which can hold Secret data, and is logged.
      throw new WatchError('protocol', 'malformed watch event: not valid JSON');
    }
    if (typeof event.object !== 'object' || event.object === null) throw new WatchError('protocol', `watch event without object: ${event.type ?? '?'}`);
    const obj = this.#ingest(event.object);
    const h = this.#health;
    const initial = this.#initialItems;
    if (initial !== undefined && event.type !== 'ERROR') {
      if (event.type === 'ADDED') {
        initial.push(this.#listed(obj));
        return true;
      }
      if (event.type === 'BOOKMARK' && isInitialEventsEnd(obj)) {
        this.#initialItems = undefined;
        h.lastBookmarkAt = Date.now();
        this.#goneStreak = 0;
        this.#finishList(initial, resourceVersionOf(obj), 0, this.#initialStarted);
        return true;
      }
      if (event.type !== 'BOOKMARK') throw new WatchError('protocol', `streaming list: ${String(event.type)} before the initial events ended`);
      return false;
    }
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const events = event.type === 'DELETED' ? this.#deps.store.remove(obj) : this.#deps.store.upsert(obj);
        this.#advance(obj);
        h.lastEventAt = Date.now();
        for (const e of events) {
          if (this.#stopped) break;
          this.#deps.emit(e);
        }
        return true;
      }
      case 'BOOKMARK':
        this.#advance(obj);
        h.lastBookmarkAt = Date.now();
        return true;
      case 'ERROR': {
        const status = obj as KubeStatus;
        throw errorFromStatus(status.code ?? 500, status, 'watch');
      }
      default:
        throw new WatchError('protocol', `unknown watch event type ${String(event.type)}`);
    }
  }

  #advance(obj: KubeObject): void {
    const rv = resourceVersionOf(obj);
    if (rv !== undefined && rv !== '') this.#rv = rv;
    this.#goneStreak = 0;
  }
}

function isInitialEventsEnd(obj: KubeObject): boolean {
  const annotations = (obj['metadata'] as { annotations?: Record<string, string> } | undefined)?.annotations;
  return annotations?.['k8s.io/initial-events-end'] === 'true';
}
