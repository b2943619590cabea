import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../types.js';
import { Backoff } from './backoff.js';
import { WatchError, errorFromStatus, toWatchError } from '../kube/kube-api-error.js';
import type { KubeStatus } from '../kube/kube-api-error.js';
import type { Query } from '../kube/kube-transport.js';
import { planRecovery } from './recovery-plan.js';
import { withoutManagedFields } from './managed-fields.js';
import { resourceVersionOf } from './object-store.js';
import { listInPages } from './paged-list.js';
import { GuardSet, RELIST, STOPPED, resolveWatchdogBounds } from './request-guard.js';
import type { ResolvedWatchdogBounds } from './request-guard.js';
import type { ReflectorDeps } from './reflector-options.js';
import { newHealthCounters, scopeHealthSnapshot, toErrorInfo } from './scope-health.js';
import type { ScopeHealth, WatcherState } from './scope-health.js';
import { isInitialEventsEnd, parseWatchLine, readWatchLines, streamingListUnsupported } from './watch-stream.js';
import { setLongTimeout } from '../internal/long-timeout.js';

/**
 * One list+watch loop for one scope (a namespace, or cluster-wide): paginated list, then watch from the list's
 * resourceVersion with bookmarks and a server timeout, forever, until `stop()`. Internal to `ResourceWatcher`.
 */
export class Reflector {
  readonly #deps: ReflectorDeps;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  readonly #pageSize: number;
  readonly #bounds: ResolvedWatchdogBounds;
  readonly #watchTimeout: readonly [number, number];
  readonly #inScope: (key: string) => boolean;
  readonly #ingest: (obj: KubeObject) => KubeObject;
  #state: WatcherState = 'idle';
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #guards = new GuardSet();
  #wake: (() => void) | undefined;
  #rv: string | undefined;
  #needList = true;
  #goneStreak = 0;
  #synced = false;
  // Streaming lists are tried until the server shows it does not support them.
  #streaming: boolean;
  #initialItems: KubeObject[] | undefined;
  #initialStarted = 0;
  // Set by `replay()` until a list completes: unchanged listed objects are handed out as resync updates.
  #replay = false;
  readonly #health = newHealthCounters();

  constructor(deps: ReflectorDeps) {
    this.#deps = deps;
    this.#now = deps.now;
    const t = deps.timing;
    this.#backoff = new Backoff({ random: deps.random, ...t.backoff });
    this.#pageSize = t.pageSize ?? 500;
    this.#bounds = resolveWatchdogBounds(t);
    this.#watchTimeout = t.watchTimeoutSeconds ?? [300, 600];
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
    this.#health.notWatchingSince = this.#now();
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
      this.#guards.abortAll(STOPPED);
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
    this.#guards.abortAll(RELIST);
    this.#wake?.();
  }

  /**
   * Relists (as `relist()`) and hands out every listed object: what changed as usual, the unchanged ones as
   * `update`s with `resync: true` as they are read (the store keeps no objects to replay). Ignored while stopped.
   */
  replay(): void {
    if (this.#stopped) return;
    this.#replay = true;
    this.relist();
  }

  /** A snapshot of this loop's health. */
  health(): ScopeHealth {
    const position = { namespace: this.#deps.namespace, state: this.#state, synced: this.#synced, resourceVersion: this.#rv };
    return scopeHealthSnapshot(position, this.#health);
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
        if (streamingListFailed && streamingListUnsupported(err)) {
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
    const now = this.#now();
    h.failures++;
    h.consecutiveFailures++;
    h.lastError = toErrorInfo(error, now);
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
    const started = this.#now();
    const listed = await listInPages({
      transport: this.#deps.transport,
      guards: this.#guards,
      path: this.#basePath(),
      labelSelector: this.#deps.labelSelector,
      fieldSelector: this.#deps.fieldSelector,
      pageSize: this.#pageSize,
      connectTimeoutMs: this.#bounds.connectTimeoutMs,
      listPageTimeoutMs: this.#bounds.listPageTimeoutMs,
      onItem: (item) => this.#listed(this.#ingest(item)),
      isStopped: () => this.#stopped,
      logger: this.#deps.logger,
      namespace: this.#deps.namespace,
    });
    this.#throwIfStopped();
    this.#finishList(listed.items, listed.resourceVersion, listed.pages, started);
  }

  /** Hands out what a complete list changed and records it; `started` is epoch ms. */
  #finishList(items: readonly KubeObject[], rv: string | undefined, pages: number, started: number): void {
    const events = this.#deps.store.replace(items, this.#inScope);
    for (const event of events) {
      if (this.#stopped) return;
      this.#deps.emit(event);
    }
    const h = this.#health;
    const now = this.#now();
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
    this.#replay = false;
    this.#deps.onListed(items);
  }

  /**
   * One object of a list, as it is read: of an unchanged object only the store's skeleton is kept (a replay hands
   * the object out now, as a resync update), so a relist holds only what changed; new and changed ones are handed
   * to `onListItem` so the pipeline's work on them overlaps the download of the rest of the list.
   */
  #listed(obj: KubeObject): KubeObject {
    const kept = this.#deps.store.unchanged(obj);
    if (kept === undefined) {
      this.#deps.onListItem?.(obj);
      return obj;
    }
    if (this.#replay && !this.#stopped) this.#deps.emit({ type: 'update', object: obj, resync: true });
    return kept;
  }

  /**
   * One watch request. With `initial`, it is a streaming list (KEP-3157): the server first sends every object as
   * ADDED, then a bookmark marking the end of the initial events, and the same stream goes on as a watch.
   */
  async #watch(initial: boolean): Promise<void> {
    this.#throwIfStopped();
    const [min, max] = this.#watchTimeout;
    const timeoutSeconds = Math.round(min + this.#deps.random() * Math.max(0, max - min));
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
    this.#initialStarted = this.#now();
    this.#initialItems = initial ? [] : undefined;
    const bounds = this.#bounds;
    const guard = this.#guards.arm();
    const connect = guard.watchdog('connect', bounds.connectTimeoutMs, 'no response headers');
    guard.watchdog('deadline', timeoutSeconds * 1000 + bounds.deadlineGraceMs, 'watch outlived its timeoutSeconds');
    // One silence watchdog at a time, armed from the moment the stream opens: while initial events stream, a
    // stall is a list timeout; afterwards a silent stream is an idle timeout.
    const rearmIdle = (): void => {
      if (this.#initialItems !== undefined) guard.rearmSilence('list', bounds.listPageTimeoutMs, 'initial events stalled');
      else guard.rearmSilence('idle', bounds.idleTimeoutMs, 'watch stream silent');
    };
    const established = (): void => {
      this.#setState('watching');
      // Only an established stream counts as watching for staleness: attempts that never get headers do not.
      this.#health.notWatchingSince = undefined;
      this.#backoff.markHealthy(this.#now());
      this.#health.consecutiveFailures = 0;
    };
    let res: IncomingMessage | undefined;
    const opened = this.#now();
    let progressed = false;
    try {
      res = await this.#deps.transport.open(path, query, guard.signal);
      connect.clear();
      this.#health.watches++;
      if (!initial) established();
      rearmIdle();
      const onLine = (line: Buffer): void => {
        const wasListing = this.#initialItems !== undefined;
        if (this.#handleLine(line)) progressed = true;
        if (this.#stopped) throw STOPPED;
        if (wasListing && this.#initialItems === undefined) established();
      };
      const rest = await readWatchLines(res as AsyncIterable<Buffer>, onLine, rearmIdle);
      if (rest !== undefined && this.#handleLine(rest)) progressed = true;
      if (this.#initialItems !== undefined) throw new WatchError('network', 'streaming list ended before its initial events did');
      if (!progressed && this.#now() - opened < 1000) {
        // client-go's VeryShortWatchError: a server closing at once would otherwise make us spin.
        throw new WatchError('network', 'watch closed immediately without events');
      }
    } catch (err) {
      const reason = guard.abortReason(this.#stopped);
      if (reason !== undefined) throw reason;
      if (err instanceof WatchError || err === STOPPED) throw err;
      if (err instanceof SyntaxError) throw new WatchError('protocol', `watch ${path}: ${err.message}`, { cause: err });
      throw toWatchError(err, `watch ${path}`);
    } finally {
      guard.release();
      res?.destroy();
      this.#health.notWatchingSince ??= this.#now();
    }
  }

  /** Applies one watch event; returns true when it advanced the resourceVersion. Throws on `ERROR` events. */
  #handleLine(line: Buffer): boolean {
    // Listed objects the store has in this state are not parsed, only kept as skeletons (a replay hands them out).
    const kept = this.#initialItems !== undefined && !this.#replay ? this.#deps.store.unchangedLine(line) : undefined;
    if (kept !== undefined) {
      this.#initialItems!.push(kept);
      return true;
    }
    const event = parseWatchLine(line);
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
        h.lastBookmarkAt = this.#now();
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
        h.lastEventAt = this.#now();
        for (const e of events) {
          if (this.#stopped) break;
          this.#deps.emit(e);
        }
        return true;
      }
      case 'BOOKMARK':
        this.#advance(obj);
        h.lastBookmarkAt = this.#now();
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
