import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { KubeObject } from '../types.js';
import { Backoff } from './backoff.js';
import { resolveResource } from './discovery.js';
import { toWatchError } from '../kube/kube-api-error.js';
import type { WatchError } from '../kube/kube-api-error.js';
import { KubeTransport } from '../kube/kube-transport.js';
import { ObjectStore } from './object-store.js';
import { Reflector } from './reflector.js';
import type { ReflectorTiming } from './reflector-options.js';
import { planRecovery } from './recovery-plan.js';
import { toErrorInfo } from './scope-health.js';
import type { WatchErrorInfo, WatcherState } from './scope-health.js';
import { combineHealth } from './watcher-health.js';
import type { WatcherHealth } from './watcher-health.js';
import type { ResolvedResource, WatchEvent, WatchHandlers } from './watch-event.js';
import { setLongInterval, setLongTimeout } from '../internal/long-timeout.js';
import type { LongTimer } from '../internal/long-timeout.js';

/** Options of `createResourceWatcher`. Durations in milliseconds. */
export interface ResourceWatcherOptions extends ReflectorTiming {
  /** Cluster and credentials (kubeconfig file, in-cluster service account, token files, exec/OIDC plugins). */
  readonly kubeConfig: KubeConfig;
  /**
   * What to watch: a resource resolved by `resolveResources`, or a configured name (`pods`,
   * `certificates.cert-manager.io`, `apps/v1/deployments`) that the watcher resolves itself, retrying while it
   * is not served (a CRD not installed yet is reported `degraded` and picked up when it appears).
   */
  readonly resource: ResolvedResource | string;
  /** Receives every change, and every complete list. */
  readonly handlers: WatchHandlers;
  /** Server-side label selector (`app=web,tier!=db`). Default: none. */
  readonly labelSelector?: string | undefined;
  /** Server-side field selector (`status.phase=Running`). Default: none. */
  readonly fieldSelector?: string | undefined;
  /**
   * Watch only these namespaces, with one list+watch per namespace. Default: one cluster-wide watch (cheaper
   * for the apiserver; filter namespaces downstream unless RBAC only allows some of them). Ignored for
   * cluster-scoped resources.
   */
  readonly namespaces?: readonly string[] | undefined;
  /**
   * Hand every object to `onEvent` again this often (the original's `forceReuploadDuration`): a relist of every
   * scope, whose unchanged objects arrive as `update`s with `resync: true` (the cache keeps no objects to replay, so
   * this is one list request per scope each time) and whose differences are reported as by any relist.
   * Default: 0 (off).
   */
  readonly resyncMs?: number | undefined;
  /**
   * List through a streaming watch (`sendInitialEvents`, KEP-3157: served from the watch cache, one request, no
   * pages) instead of a paginated list. Falls back to paginated lists for good when the server cannot: it refuses
   * the parameters (the `WatchList` feature gate off), answers with a plain watch (before 1.27), never ends its
   * initial events, or its storage lacks watch progress. `false` always lists in pages. Default: true.
   */
  readonly streamingList?: boolean | undefined;
  /**
   * Remove `metadata.managedFields` from every object as it arrives, before it is cached or handed to handlers:
   * about a third less memory per cached object, for consumers that drop the field anyway (watch-proxy does unless
   * a resource sets `includeManagedFields`). Default: false (objects as the apiserver sent them).
   */
  readonly dropManagedFields?: boolean | undefined;
  /** Relist from the server this often and report differences, as defence in depth. Default: 0 (off). */
  readonly reconcileMs?: number | undefined;
  /** `health().stale` turns true when a watch has not been open for this long. Default: 300,000 ms. */
  readonly staleAfterMs?: number | undefined;
  /** Default: silent. Never receives credentials or object contents. */
  readonly logger?: Logger | undefined;
  /**
   * Called for every failed list, watch or discovery attempt (watchdog aborts included). The watcher retries
   * on its own; this is for reporting. Exceptions it throws are ignored.
   */
  readonly onError?: ((error: WatchError, resource: string) => void) | undefined;
  /**
   * Time and randomness, for deterministic tests: `now` (epoch ms) stamps health and paces the backoff, `random`
   * in [0, 1) draws each watch's `timeoutSeconds` and the backoff jitter (unless `backoff.random` is given).
   * Timers are the global ones (fake timers drive them). Defaults: `Date.now`, `Math.random`.
   */
  readonly clock?: { readonly now?: (() => number) | undefined; readonly random?: (() => number) | undefined } | undefined;
}

export type { WatcherHealth } from './watcher-health.js';

/** A reliable list+watch of one resource kind. Create with `createResourceWatcher`. */
export interface ResourceWatcher {
  /** The configured name. */
  readonly name: string;
  /** The resolved resource, once discovery resolved it. */
  readonly resource: ResolvedResource | undefined;
  /**
   * The current cache, keyed `namespace/name` (cluster-scoped: `name`): what the watcher knows of each object, not
   * the object (that goes to the handlers only): `{ metadata: { name, namespace, uid, resourceVersion } }`
   * (namespace only when set), frozen. A live read-only view: it changes as events arrive and always matches what
   * handlers were told so far.
   */
  readonly cache: ReadonlyMap<string, KubeObject>;
  /**
   * Starts listing and watching; resolves once the first complete list was handed to the handlers (every scope),
   * or once the watcher is degraded (403, 404: it keeps retrying, so one missing CRD never blocks the others), or
   * once stopped. Never rejects; does not resolve while only transient errors occur. Idempotent.
   */
  start(): Promise<void>;
  /**
   * Stops for good: aborts requests in flight, clears timers, closes sockets. No handler is called after `stop()`
   * was called. Idempotent; resolves once everything is closed.
   */
  stop(): Promise<void>;
  /** A snapshot of its health. Cheap; call as often as needed. */
  health(): WatcherHealth;
  /**
   * Relists every scope now and hands every listed object to `onEvent`: unchanged ones as `update`s with
   * `resync: true`, differences as any relist reports them (what `resyncMs` does on a timer).
   */
  resync(): void;
  /** Relists every scope now and reports differences (what `reconcileMs` does on a timer). */
  relist(): void;
}

/**
 * Creates a watcher for one resource kind (built-in or CRD, namespaced or cluster-scoped). Nothing happens until
 * `start()`. Guarantees (see docs/watching.md): paginated initial list, watch with bookmarks and server timeouts,
 * relist on 410 with synthesized deletes, never stopping on errors, backoff with jitter, watchdogs, resync.
 */
export function createResourceWatcher(options: ResourceWatcherOptions): ResourceWatcher {
  return new KubeResourceWatcher(options);
}

class KubeResourceWatcher implements ResourceWatcher {
  readonly name: string;
  readonly #options: ResourceWatcherOptions;
  readonly #transport: KubeTransport;
  readonly #store = new ObjectStore();
  readonly #logger: Logger;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #resource: ResolvedResource | undefined;
  #reflectors: Reflector[] = [];
  #started: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopped = false;
  #timers: LongTimer[] = [];
  #handlerErrors = 0;
  #waiters: (() => void)[] = [];
  // Resolution of a configured name (only when `resource` was given as a string).
  #resolveState: WatcherState = 'idle';
  #resolveError: WatchErrorInfo | undefined;
  #resolveSince: number | undefined;
  #wakeResolve: (() => void) | undefined;
  #resolving: Promise<void> | undefined;

  constructor(options: ResourceWatcherOptions) {
    this.#options = options;
    this.#transport = new KubeTransport(options.kubeConfig);
    if (typeof options.resource === 'string') {
      this.name = options.resource;
    } else {
      this.name = options.resource.name;
      this.#resource = options.resource;
    }
    this.#logger = (options.logger ?? silentLogger).child({ resource: this.name });
    this.#staleAfterMs = options.staleAfterMs ?? 300_000;
    this.#now = options.clock?.now ?? Date.now;
    this.#random = options.clock?.random ?? Math.random;
  }

  get resource(): ResolvedResource | undefined {
    return this.#resource;
  }

  get cache(): ReadonlyMap<string, KubeObject> {
    return this.#store.view;
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    if (this.#stopped) return;
    if (this.#resource === undefined) {
      this.#resolving = this.#resolveLoop();
    } else {
      this.#launch(this.#resource);
    }
    await new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      this.#checkSettled();
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) t.clear();
    this.#timers = [];
    this.#resolveState = 'stopped';
    this.#wakeResolve?.();
    await Promise.all([this.#resolving, ...this.#reflectors.map((r) => r.stop())]);
    this.#checkSettled();
  }

  resync(): void {
    if (this.#stopped || this.#resource === undefined) return;
    for (const r of this.#reflectors) r.replay();
  }

  relist(): void {
    for (const r of this.#reflectors) r.relist();
  }

  health(): WatcherHealth {
    return combineHealth({
      resource: this.name,
      ref: this.#resource?.ref,
      stopped: this.#stopped,
      scopes: this.#reflectors.map((r) => r.health()),
      resolveState: this.#resolveState,
      resolveError: this.#resolveError,
      resolveSince: this.#resolveSince,
      staleAfterMs: this.#staleAfterMs,
      now: this.#now(),
      handlerErrors: this.#handlerErrors,
      objects: this.#store.view.size,
    });
  }

  /** Resolves the configured name, retrying (degraded while it is not served) until it resolves or we stop. */
  async #resolveLoop(): Promise<void> {
    const backoff = new Backoff({ random: this.#random, ...this.#options.backoff });
    this.#resolveSince = this.#now();
    this.#resolveState = 'syncing';
    while (!this.#stopped) {
      try {
        const resolved = await resolveResource(this.#options.kubeConfig, this.name, this.#discoveryOptions());
        if (this.#stopped) return;
        this.#resource = resolved;
        this.#resolveError = undefined;
        this.#logger.info({ ref: resolved.ref }, 'resource resolved');
        this.#launch(resolved);
        return;
      } catch (err) {
        if (this.#stopped) return;
        const error = toWatchError(err, `discovery of ${this.name}`);
        const degraded = planRecovery(error.kind, 0).wait === 'degraded';
        const delay = backoff.next(this.#now(), { degraded, minMs: error.retryAfterMs });
        this.#resolveState = degraded ? 'degraded' : 'backoff';
        this.#resolveError = toErrorInfo(error, this.#now());
        this.#logger.warn({ kind: error.kind, err: error.message, retryInMs: delay }, 'resource not resolved yet');
        this.#reportError(error);
        this.#checkSettled();
        await new Promise<void>((resolve) => {
          const timer = setLongTimeout(done, delay);
          function done(): void {
            timer.clear();
            resolve();
          }
          this.#wakeResolve = done;
        });
        this.#wakeResolve = undefined;
      }
    }
  }

  #discoveryOptions(): { timeoutMs?: number } {
    const t = this.#options.connectTimeoutMs;
    return t === undefined ? {} : { timeoutMs: t };
  }

  /** After a 404: the resource may have moved (a CRD re-created with another version); resolve the name again. */
  async #refresh(): Promise<void> {
    if (typeof this.#options.resource !== 'string' || this.#stopped) return;
    try {
      const resolved = await resolveResource(this.#options.kubeConfig, this.name, this.#discoveryOptions());
      if (!this.#stopped) this.#resource = resolved;
    } catch {
      // Still not served: keep the last known location; the reflector stays degraded and retries.
    }
  }

  #launch(resource: ResolvedResource): void {
    const o = this.#options;
    const namespaces = o.namespaces !== undefined && o.namespaces.length > 0 ? [...new Set(o.namespaces)] : undefined;
    if (namespaces !== undefined && !resource.ref.namespaced) {
      this.#logger.warn({ namespaces }, 'namespaces ignored: the resource is cluster-scoped');
    }
    const scopes = namespaces !== undefined && resource.ref.namespaced ? namespaces : [undefined];
    this.#reflectors = scopes.map(
      (namespace) =>
        new Reflector({
          transport: this.#transport,
          resource: () => this.#resource ?? resource,
          onNotFound: () => this.#refresh(),
          namespace,
          store: this.#store,
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          streamingList: o.streamingList !== false,
          dropManagedFields: o.dropManagedFields === true,
          timing: o,
          now: this.#now,
          random: this.#random,
          logger: namespace === undefined ? this.#logger : this.#logger.child({ namespace }),
          emit: (event) => this.#emit(event),
          onListItem: this.#options.handlers.onListItem === undefined ? undefined : (object) => this.#onListItem(object),
          onListed: () => this.#onListed(),
          onError: (error) => this.#reportError(error),
          onState: () => this.#checkSettled(),
        }),
    );
    for (const r of this.#reflectors) r.start();
    // Long timers: a resync period of 30 days (forceReuploadDuration) must not overflow into one every 1 ms.
    if ((o.resyncMs ?? 0) > 0) this.#timers.push(setLongInterval(() => this.resync(), o.resyncMs ?? 0));
    if ((o.reconcileMs ?? 0) > 0) this.#timers.push(setLongInterval(() => this.relist(), o.reconcileMs ?? 0));
  }

  #emit(event: WatchEvent): void {
    if (this.#stopped) return;
    const resource = this.#resource;
    if (resource === undefined) return;
    try {
      this.#options.handlers.onEvent(resource, event);
    } catch (err) {
      this.#handlerErrors++;
      this.#logger.error({ err: err instanceof Error ? err.message : String(err), event: event.type }, 'event handler threw');
    }
  }

  #onListItem(object: KubeObject): void {
    const resource = this.#resource;
    if (this.#stopped || resource === undefined) return;
    try {
      this.#options.handlers.onListItem?.(resource, object);
    } catch (err) {
      this.#handlerErrors++;
      this.#logger.error({ err: err instanceof Error ? err.message : String(err) }, 'onListItem handler threw');
    }
  }

  #onListed(): void {
    this.#checkSettled();
    const resource = this.#resource;
    const onSynced = this.#options.handlers.onSynced;
    // Only a view over every scope is complete: before that, other namespaces' objects would look deleted.
    if (this.#stopped || resource === undefined || onSynced === undefined || !this.#reflectors.every((r) => r.synced)) return;
    try {
      onSynced.call(this.#options.handlers, resource, this.#store.objects());
    } catch (err) {
      this.#handlerErrors++;
      this.#logger.error({ err: err instanceof Error ? err.message : String(err) }, 'onSynced handler threw');
    }
  }

  #reportError(error: WatchError): void {
    try {
      this.#options.onError?.(error, this.name);
    } catch {
      // A reporting hook must not break the watch loop.
    }
  }

  #checkSettled(): void {
    const settled =
      this.#stopped ||
      (this.#reflectors.length === 0 && this.#resolveState === 'degraded') ||
      (this.#reflectors.length > 0 && this.#reflectors.every((r) => r.synced || r.state === 'degraded'));
    if (!settled) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

