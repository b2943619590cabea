import type { KubeConfig } from '@kubernetes/client-node';
import type { SharedCacheStore } from './cache/cluster-store.js';
import type { DeltaResourceSettings } from './delta/delta-engine.js';
import { parsePrunePath } from './delta/prune.js';
import type { RetryPolicy } from './deliver/retry-policy.js';
import { InvalidArgumentError, type WatchProxyError } from './errors.js';
import { deepFreeze } from './internal/deep-freeze.js';
import type { ExpressionVariable } from './expression/cel-environment.js';
import { ExpressionError, compileExpression, expressionVariables, type ExpressionKind } from './expression/compile-expression.js';
import { ExpressionRule } from './expression/expression-rule.js';
import type { DeliveryGate } from './leader/delivery-gate.js';
import { silentLogger, type Logger } from './logger.js';
import type { EndpointRules } from './route/endpoint-expressions.js';
import type { RouteFilter } from './route/route.js';
import type { Sink } from './sink/sink.js';
import type { ChangeEvent } from './types.js';
import { DEFAULT_WATCHDOG_BOUNDS } from './watch/request-guard.js';
import type { ResolvedWatchdogBounds, WatchdogBounds } from './watch/request-guard.js';
import type { WatchedResource, WatchSourceFactory } from './watch/watch-source.js';

/** One resource kind to watch, and how its objects are turned into changes. */
export interface ResourceOptions {
  /** `pods`, `certificates.cert-manager.io` or `group/version/plural`. Keys cache entries: keep it stable. */
  readonly name: string;
  /** Copied into every change (`asset_type_id` on the wire). Default: `''`. */
  readonly assetId?: string | undefined;
  /**
   * Fields removed before fingerprinting and sending: dot paths, `\.` for a literal dot, `[*]` for every array
   * element (`spec.containers[*].image`). A path through a missing key, scalar or array is a no-op. Default: none.
   */
  readonly pruneFields?: readonly string[] | undefined;
  /** Events never sent for this resource. Default: none. */
  readonly filterEvents?: readonly ChangeEvent[] | undefined;
  /**
   * A CEL expression over `object` (as it goes on the wire: pruned and redacted) that decides which objects of
   * this resource are reported at all, to every sink: an object that starts matching is sent, one that stops is
   * deleted at every sink that holds it (with the state it last got). Compiled here: a syntax or type error
   * throws `InvalidArgumentError` pointing into the expression. Default: every object.
   */
  readonly filter?: string | undefined;
  /** Send Secret `data`/`stringData` values and the last-applied annotation unredacted. Default: false. */
  readonly includeSecretData?: boolean | undefined;
  /** Send `metadata.managedFields`. Default: false (dropped). */
  readonly includeManagedFields?: boolean | undefined;
  /** Re-process every object this often, ms (`forceReuploadDuration`); unchanged ones are not re-sent. Default: 0 (off). */
  readonly resyncMs?: number | undefined;
  /** Server-side label selector for list/watch (`app=web`). Default: everything. */
  readonly labelSelector?: string | undefined;
  /** Server-side field selector for list/watch. Default: everything. */
  readonly fieldSelector?: string | undefined;
  /**
   * Watch only these namespaces (one list+watch each), e.g. when RBAC allows no more. Default: one cluster-wide
   * watch. Routing per sink is `SinkOptions.namespaces`, not this.
   */
  readonly namespaces?: readonly string[] | undefined;
}

export type { WatchedResource, WatchSource, WatchSourceFactory, WatchSourceInit } from './watch/watch-source.js';

/** A sink plus its routing filters and expressions (CEL, compiled by the constructor). */
export interface SinkOptions extends RouteFilter {
  readonly sink: Sink;
  /**
   * A CEL expression over `object` and `resource` (the resource's plural name) deciding which objects this sink
   * holds: one that starts matching is sent (`add`, or `update` if the sink has it), one that stops matching is
   * sent as a `delete` carrying the state the sink last got; relists and restarts keep that true. An evaluation
   * error counts as not matching (drop reason `filter-error`). Default: every object.
   */
  readonly filter?: string | undefined;
  /**
   * A CEL expression over `object`, `oldObject` (the state last sent to this sink) and `resource` deciding whether
   * an update is worth sending (`object.status.phase != oldObject.status.phase`); adds and deletes are not subject
   * to it. With a `transform`, both are the transformed values. Default: every update.
   */
  readonly updateFilter?: string | undefined;
  /**
   * A CEL expression over `object` and `resource` giving a map, sent as the item's data instead of the object,
   * with real JSON types (integers are numbers). The sink's deduplication works on it: a change outside the
   * projection sends nothing. Default: the object.
   */
  readonly transform?: string | undefined;
  /**
   * Whether this sink's updates go as RFC 6902 JSON Patches from the state last delivered to it (docs/payload.md,
   * "deltaUpdates"); only sinks that encode `Change.delta` (the HTTP sink) send them. Default: the top-level
   * `deltaUpdates`.
   */
  readonly deltaUpdates?: boolean | undefined;
}

/** Options of `new WatchProxy(options)`. Durations are milliseconds, sizes bytes. */
export interface WatchProxyOptions {
  /** What to watch (a bare string is `{ name }`). At least one. */
  readonly resources: readonly (ResourceOptions | string)[];
  /** Where changes go (a bare sink has no filters). At least one; names must be unique. */
  readonly sinks: readonly (Sink | SinkOptions)[];
  /** Cluster access for the default watch source. Required unless `watchSource` is given. */
  readonly kubeConfig?: KubeConfig | undefined;
  /** Replaces the Kubernetes watch stage (tests, replays). Default: watch through `kubeConfig`. */
  readonly watchSource?: WatchSourceFactory | undefined;
  /** Prefix of `uniqueId` (`<clusterName>-<uid>`). Default: `''`. */
  readonly clusterName?: string | undefined;
  /** Namespaces whose objects, and the Namespace objects themselves, are never sent (exact names). Default: none. */
  readonly ignoreNamespaces?: readonly string[] | undefined;
  /**
   * For this long after a watch starts, ms, adds are dropped (the original's `delayAddEventDuration`): what a sink
   * would receive as an add, not an object it already has (that is an update to it). Default: 0.
   */
  readonly delayAddEventMs?: number | undefined;
  /**
   * Per resource name, since when (epoch ms) the host has been watching it: set when this WatchProxy replaces an
   * earlier one (a config reload), so `delayAddEventMs` counts from the first watch start, not again from this
   * one, and new objects' adds are not discarded after every reload. Default: none; a resource not listed counts
   * from this start.
   */
  readonly watchedSince?: ReadonlyMap<string, number> | undefined;
  /**
   * Set (ms, 0 included): at most one batch per sink per interval; a sink that started none for that long sends
   * at once (0: batches back to back). Default (unset): adaptive. A change reaching an idle sink is sent at once;
   * while batches are back to back, a full one (`emitBatchMaxObjects` or `emitBatchMaxBytes`) starts as soon as
   * the previous one is done, a partial one `ADAPTIVE_LINGER_MS` (10 ms) after the previous one started. Latency
   * stays in milliseconds under load, and throughput is bounded by the sink's round trip, not by an interval.
   */
  readonly emitIntervalMs?: number | undefined;
  /** Most changes per batch. Default: 10 (the original's). A sink's `limits.maxItems` can lower it. */
  readonly emitBatchMaxObjects?: number | undefined;
  /**
   * Most estimated JSON bytes per batch (a single larger object still goes, alone). Default: 512 KiB, half of
   * nginx's default 1 MiB body limit, leaving room for the estimate's error (a sink that answers "too large" also
   * makes its lane cut smaller batches).
   */
  readonly emitBatchMaxBytes?: number | undefined;
  /** How long a delivered state suppresses re-sending it. Default: 0 (forever). */
  readonly emitCacheDurationMs?: number | undefined;
  /**
   * Whether an object's add and its delete, both still queued for a sink (created and deleted before it was
   * sent), cancel out: the sink never needed either (counted as dropped, reason `coalesced`). False sends both,
   * the add then the delete, as the original did. Default: true.
   */
  readonly cancelAddDelete?: boolean | undefined;
  /**
   * Whether updates go as RFC 6902 JSON Patches from the state last delivered to each sink, with the fingerprints
   * of base and result, instead of the whole object (adds, deletes and the first send after a restart go whole).
   * Each sink may override it. Default: false (today's bytes exactly).
   */
  readonly deltaUpdates?: boolean | undefined;
  /** Directory for the emit caches; unset keeps them in memory only (restarts re-send everything). */
  readonly stateDir?: string | undefined;
  /** How often changed emit caches are written to `stateDir`. Default: 10 000 ms. */
  readonly persistIntervalMs?: number | undefined;
  /**
   * Each `send` attempt is aborted after this, or after a sink's own `timeoutMs` plus 1 s when that is longer.
   * Default: 10 000 ms.
   */
  readonly attemptTimeoutMs?: number | undefined;
  /**
   * How long a change a sink refused (`rejected`) stays owed before it is sent again; it also goes with its object's
   * next change. Default: 300 000 ms (5 minutes).
   */
  readonly rejectedRetryIntervalMs?: number | undefined;
  /** After aborting an attempt, how long to wait for a sink that ignores its signal. Default: 5 000 ms. */
  readonly abortGraceMs?: number | undefined;
  /** Backoff of failed sends. Defaults: `initialMs` 500, `maxMs` 30 000, `maxRetryAfterMs` 300 000. */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** `shutdown()` waits this long for queues to drain before aborting. Default: 10 000 ms. */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Default: silent. Never receives credentials or Secret data. */
  readonly logger?: Logger | undefined;
  /** Every runtime failure after `start()` (sends, watches, state writes). Default: `logger.error`. */
  readonly onError?: ((error: WatchProxyError) => void) | undefined;
  /**
   * Only deliver while this gate is open (a `LeaseElector`: one of several replicas sends). While closed the
   * proxy is a warm standby: it watches and keeps its caches, sends nothing, and remembers deletes for
   * `handoverWindowMs`; when it opens, the proxy loads `sharedCache`, then replays the current objects and sends
   * only what the receivers miss, deletes included. Default: none (always delivering).
   */
  readonly gate?: DeliveryGate | undefined;
  /** Where the leader shares the emit caches with standbys (see `ConfigMapCacheStore`). Default: none. */
  readonly sharedCache?: SharedCacheStore | undefined;
  /** How often the leader saves changed emit caches to `sharedCache`. Default: 2 000 ms. */
  readonly sharedCacheIntervalMs?: number | undefined;
  /**
   * How long a standby remembers a delete to send it when it takes over (the old leader may have delivered the
   * object without saving that to `sharedCache` yet). Should exceed `sharedCacheIntervalMs` + the lease duration
   * + two retry periods. Default: 60 000 ms.
   */
  readonly handoverWindowMs?: number | undefined;
  /**
   * Bounds of the default watch source's watchdogs, ms each: `connectTimeoutMs` (response headers, default
   * 30 000), `listPageTimeoutMs` (one list page, default 60 000), `idleTimeoutMs` (a watch stream without an event
   * or bookmark, default 150 000), `deadlineGraceMs` (a watch open past its server timeout, default 60 000). A
   * request a watchdog aborts is retried like a network failure. The defaults suit every apiserver (bookmarks
   * come about once a minute); shorter bounds notice a dead or frozen apiserver sooner at the cost of reconnects
   * on quiet streams. Ignored with `watchSource`.
   */
  readonly watchdogs?: WatchdogBounds | undefined;
  /** Time and randomness (the default watch source's too), for deterministic tests. Defaults: `Date.now`, `Math.random`. */
  readonly clock?: { readonly now?: (() => number) | undefined; readonly random?: (() => number) | undefined } | undefined;
}

/** Options after validation and defaults: frozen. */
export interface ResolvedOptions {
  readonly resources: readonly (WatchedResource & { readonly settings: DeltaResourceSettings })[];
  readonly sinks: readonly {
    readonly sink: Sink;
    readonly namespaces: readonly string[];
    readonly resourceTypes: readonly string[];
    readonly rules: EndpointRules;
    readonly deltaUpdates: boolean;
  }[];
  readonly kubeConfig: KubeConfig | undefined;
  readonly watchSource: WatchSourceFactory | undefined;
  readonly clusterName: string;
  readonly ignoreNamespaces: readonly string[];
  readonly delayAddEventMs: number;
  readonly watchedSince: ReadonlyMap<string, number>;
  /** `'adaptive'` when `emitIntervalMs` was not given (see `ADAPTIVE_LINGER_MS`). */
  readonly emitIntervalMs: number | 'adaptive';
  readonly emitBatchMaxObjects: number;
  readonly emitBatchMaxBytes: number;
  readonly emitCacheDurationMs: number;
  readonly cancelAddDelete: boolean;
  readonly stateDir: string | undefined;
  readonly persistIntervalMs: number;
  readonly attemptTimeoutMs: number;
  readonly rejectedRetryIntervalMs: number;
  readonly abortGraceMs: number;
  readonly retry: RetryPolicy;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  readonly onError: ((error: WatchProxyError) => void) | undefined;
  readonly gate: DeliveryGate | undefined;
  readonly sharedCache: SharedCacheStore | undefined;
  readonly sharedCacheIntervalMs: number;
  readonly handoverWindowMs: number;
  readonly watchdogs: ResolvedWatchdogBounds;
  readonly now: () => number;
  readonly random: () => number;
}

const EVENTS: readonly ChangeEvent[] = ['add', 'update', 'delete'];

/**
 * Default `emitBatchMaxBytes`, bytes: 512 KiB, half of nginx's default `client_max_body_size` (1 MiB), so a default
 * batch passes the most common reverse proxy in front of a receiver even where the size estimate is short (it
 * counts JSON characters, not UTF-8 bytes, nor the payload wrapper).
 */
export const DEFAULT_EMIT_BATCH_MAX_BYTES = 512 * 1024;

function fail(path: string, message: string, got?: unknown): never {
  const shown = got === undefined ? '' : ` (got ${typeof got === 'string' ? JSON.stringify(got) : String(got)})`;
  throw new InvalidArgumentError(`WatchProxy options.${path} ${message}${shown}`);
}

function duration(value: unknown, path: string, fallback: number, positive = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    fail(path, positive ? 'must be a positive number of milliseconds' : 'must be a non-negative number of milliseconds', value);
  }
  return value;
}

function count(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(path, 'must be a positive integer', value);
  return value;
}

function strings(value: unknown, path: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, 'must be an array of strings', value);
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item === '') fail(`${path}[${i}]`, 'must be a non-empty string', item);
  });
  return [...(value as string[])];
}

function flag(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(path, 'must be a boolean', value);
  return value;
}

/**
 * Compiles an optional CEL expression into a rule named `name` (logs and `stats().rules`), or throws
 * `InvalidArgumentError` with the expression's line and column: `options.sinks[0].filter 1:20: Unexpected token`.
 */
function expression(
  value: unknown,
  path: string,
  kind: ExpressionKind,
  variables: readonly ExpressionVariable[],
  name: string,
  logger: Logger,
): ExpressionRule | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(path, 'must be a CEL expression (a string)', typeof value);
  try {
    return new ExpressionRule({ name, expression: compileExpression(value, kind, variables), logger });
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    throw new InvalidArgumentError(`WatchProxy options.${path} ${error.message}`, { cause: error });
  }
}

function isSink(value: unknown): value is Sink {
  return typeof value === 'object' && value !== null && typeof (value as Sink).send === 'function';
}

/** Validates options and applies defaults; throws `InvalidArgumentError` naming the offending option. No I/O. */
export function resolveOptions(options: WatchProxyOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('', 'must be an object');
  if (!Array.isArray(options.resources) || options.resources.length === 0) fail('resources', 'must list at least one resource');
  if (!Array.isArray(options.sinks) || options.sinks.length === 0) fail('sinks', 'must list at least one sink');
  const logger = options.logger ?? silentLogger;
  const ruleLogger = logger.child({ component: 'expressions' });

  const resourceNames = new Set<string>();
  const resources = options.resources.map((entry, i) => {
    const r: ResourceOptions = typeof entry === 'string' ? { name: entry } : entry;
    const at = `resources[${i}]`;
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || r.name === '') fail(`${at}.name`, 'must be a non-empty string', r?.name);
    if (resourceNames.has(r.name)) fail(`${at}.name`, 'is listed twice', r.name);
    resourceNames.add(r.name);
    const filterEvents = strings(r.filterEvents, `${at}.filterEvents`);
    filterEvents.forEach((event, j) => {
      if (!EVENTS.includes(event as ChangeEvent)) fail(`${at}.filterEvents[${j}]`, 'must be add, update or delete', event);
    });
    const prunePaths = strings(r.pruneFields, `${at}.pruneFields`).map((path, j) => {
      try {
        return parsePrunePath(path);
      } catch (error) {
        return fail(`${at}.pruneFields[${j}]`, (error as Error).message.replace(/^pruneFields: /, ''));
      }
    });
    if (r.assetId !== undefined && typeof r.assetId !== 'string') fail(`${at}.assetId`, 'must be a string', r.assetId);
    for (const flag of ['includeSecretData', 'includeManagedFields'] as const) {
      if (r[flag] !== undefined && typeof r[flag] !== 'boolean') fail(`${at}.${flag}`, 'must be a boolean', r[flag]);
    }
    const settings: DeltaResourceSettings = {
      assetId: r.assetId ?? '',
      prunePaths,
      filterEvents: new Set(filterEvents as ChangeEvent[]),
      includeSecretData: r.includeSecretData ?? false,
      includeManagedFields: r.includeManagedFields ?? false,
      filter: expression(r.filter, `${at}.filter`, 'filter', expressionVariables('filter', 'resource'), `resource/${r.name}/filter`, ruleLogger),
    };
    for (const selector of ['labelSelector', 'fieldSelector'] as const) {
      if (r[selector] !== undefined && typeof r[selector] !== 'string') fail(`${at}.${selector}`, 'must be a string', r[selector]);
    }
    const namespaces = strings(r.namespaces, `${at}.namespaces`);
    return {
      name: r.name,
      resyncMs: duration(r.resyncMs, `${at}.resyncMs`, 0),
      includeManagedFields: settings.includeManagedFields,
      ...(r.labelSelector ? { labelSelector: r.labelSelector } : {}),
      ...(r.fieldSelector ? { fieldSelector: r.fieldSelector } : {}),
      ...(namespaces.length > 0 ? { namespaces } : {}),
      settings,
    };
  });

  const deltaUpdates = flag(options.deltaUpdates, 'deltaUpdates', false);
  const sinkNames = new Set<string>();
  const sinks = options.sinks.map((entry, i) => {
    const s: SinkOptions = isSink(entry) ? { sink: entry } : entry;
    const at = `sinks[${i}]`;
    if (!isSink(s?.sink)) fail(at, 'must be a Sink (an object with send()) or { sink, namespaces?, resourceTypes? }');
    if (typeof s.sink.name !== 'string' || s.sink.name === '') fail(`${at}.name`, 'must be a non-empty string', s.sink.name);
    if (sinkNames.has(s.sink.name)) fail(`${at}.name`, 'must be unique (it keys the emit cache)', s.sink.name);
    sinkNames.add(s.sink.name);
    const rule = (kind: ExpressionKind): ExpressionRule | undefined =>
      expression(s[kind], `${at}.${kind}`, kind, expressionVariables(kind, 'endpoint'), `sink/${s.sink.name}/${kind}`, ruleLogger);
    return {
      sink: s.sink,
      namespaces: strings(s.namespaces, `${at}.namespaces`),
      resourceTypes: strings(s.resourceTypes, `${at}.resourceTypes`),
      rules: { filter: rule('filter'), updateFilter: rule('updateFilter'), transform: rule('transform') },
      deltaUpdates: flag(s.deltaUpdates, `${at}.deltaUpdates`, deltaUpdates),
    };
  });

  if (options.kubeConfig === undefined && options.watchSource === undefined) {
    fail('kubeConfig', 'is required unless watchSource is given');
  }
  if (options.watchSource !== undefined && typeof options.watchSource !== 'function') fail('watchSource', 'must be a function');
  if (options.clusterName !== undefined && typeof options.clusterName !== 'string') fail('clusterName', 'must be a string', options.clusterName);
  if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) {
    fail('stateDir', 'must be a non-empty path', options.stateDir);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') fail('onError', 'must be a function');
  const watchedSince = new Map<string, number>();
  if (options.watchedSince !== undefined) {
    if (!(options.watchedSince instanceof Map)) fail('watchedSince', 'must be a Map of resource name to epoch ms');
    for (const [name, at] of options.watchedSince) {
      if (typeof at !== 'number' || !Number.isFinite(at)) fail(`watchedSince[${JSON.stringify(name)}]`, 'must be a finite number of epoch ms', at);
      watchedSince.set(name, at);
    }
  }
  const watchdogs = options.watchdogs ?? {};
  if (typeof watchdogs !== 'object' || watchdogs === null) fail('watchdogs', 'must be an object of durations in ms', watchdogs);
  const watchdog = (key: keyof WatchdogBounds): number => duration(watchdogs[key], `watchdogs.${key}`, DEFAULT_WATCHDOG_BOUNDS[key], true);
  const retry = options.retry ?? {};
  const initialMs = duration(retry.initialMs, 'retry.initialMs', 500, true);

  // Sinks and the kubeConfig are live objects owned by the caller: kept by reference, never frozen.
  const plain = deepFreeze({
    resources,
    clusterName: options.clusterName ?? '',
    ignoreNamespaces: strings(options.ignoreNamespaces, 'ignoreNamespaces'),
    delayAddEventMs: duration(options.delayAddEventMs, 'delayAddEventMs', 0),
    emitIntervalMs: options.emitIntervalMs === undefined ? ('adaptive' as const) : duration(options.emitIntervalMs, 'emitIntervalMs', 0),
    emitBatchMaxObjects: count(options.emitBatchMaxObjects, 'emitBatchMaxObjects', 10),
    emitBatchMaxBytes: count(options.emitBatchMaxBytes, 'emitBatchMaxBytes', DEFAULT_EMIT_BATCH_MAX_BYTES),
    emitCacheDurationMs: duration(options.emitCacheDurationMs, 'emitCacheDurationMs', 0),
    cancelAddDelete: flag(options.cancelAddDelete, 'cancelAddDelete', true),
    stateDir: options.stateDir,
    persistIntervalMs: duration(options.persistIntervalMs, 'persistIntervalMs', 10_000, true),
    attemptTimeoutMs: duration(options.attemptTimeoutMs, 'attemptTimeoutMs', 10_000, true),
    rejectedRetryIntervalMs: duration(options.rejectedRetryIntervalMs, 'rejectedRetryIntervalMs', 300_000, true),
    abortGraceMs: duration(options.abortGraceMs, 'abortGraceMs', 5_000),
    retry: {
      initialMs,
      maxMs: Math.max(initialMs, duration(retry.maxMs, 'retry.maxMs', 30_000, true)),
      maxRetryAfterMs: duration(retry.maxRetryAfterMs, 'retry.maxRetryAfterMs', 300_000),
    },
    shutdownTimeoutMs: duration(options.shutdownTimeoutMs, 'shutdownTimeoutMs', 10_000),
    sharedCacheIntervalMs: duration(options.sharedCacheIntervalMs, 'sharedCacheIntervalMs', 2_000, true),
    handoverWindowMs: duration(options.handoverWindowMs, 'handoverWindowMs', 60_000),
    watchdogs: {
      connectTimeoutMs: watchdog('connectTimeoutMs'),
      listPageTimeoutMs: watchdog('listPageTimeoutMs'),
      idleTimeoutMs: watchdog('idleTimeoutMs'),
      deadlineGraceMs: watchdog('deadlineGraceMs'),
    },
  });
  const gate = options.gate;
  if (gate !== undefined && (typeof gate !== 'object' || gate === null || typeof gate.onChange !== 'function')) {
    fail('gate', 'must be a DeliveryGate (open + onChange())');
  }
  const shared = options.sharedCache;
  if (shared !== undefined && (typeof shared?.load !== 'function' || typeof shared.save !== 'function')) {
    fail('sharedCache', 'must be a SharedCacheStore (load() + save())');
  }
  return Object.freeze({
    ...plain,
    sinks: Object.freeze(
      sinks.map((s) => Object.freeze({ ...s, namespaces: Object.freeze(s.namespaces), resourceTypes: Object.freeze(s.resourceTypes), rules: Object.freeze(s.rules) })),
    ),
    kubeConfig: options.kubeConfig,
    watchSource: options.watchSource,
    watchedSince,
    logger,
    onError: options.onError,
    gate,
    sharedCache: shared,
    now: options.clock?.now ?? Date.now,
    random: options.clock?.random ?? Math.random,
  });
}
