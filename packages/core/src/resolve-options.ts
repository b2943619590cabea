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
import type { ResourceOptions, SinkOptions, WatchProxyOptions } from './options.js';
import type { EndpointRules } from './route/endpoint-expressions.js';
import type { Sink } from './sink/sink.js';
import type { ChangeEvent } from './types.js';
import { DEFAULT_WATCHDOG_BOUNDS } from './watch/request-guard.js';
import type { ResolvedWatchdogBounds, WatchdogBounds } from './watch/request-guard.js';
import type { WatchedResource } from './watch/watch-source.js';
import { resolveClusters, resolveSinkClusters, type ResolvedCluster } from './resolve-clusters.js';

/** Options after validation and defaults: frozen. */
export interface ResolvedOptions {
  readonly resources: readonly (WatchedResource & { readonly settings: DeltaResourceSettings })[];
  readonly sinks: readonly {
    readonly sink: Sink;
    readonly namespaces: readonly string[];
    readonly resourceTypes: readonly string[];
    readonly rules: EndpointRules;
    readonly deltaUpdates: boolean;
    /** The clusters it receives from (`SinkOptions.clusters`); empty: every cluster. */
    readonly clusters: readonly string[];
  }[];
  /** The clusters to watch: `clusters`, or the one of `kubeConfig` / `watchSource` / `clusterName`. */
  readonly clusters: readonly ResolvedCluster[];
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
 * `InvalidArgumentError` with the expression's line and column and the expression itself, the `ExpressionError` as
 * `cause`: `options.sinks[0].filter 1:20: Unexpected token: EOF in "object.spec.type =="`.
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
    throw new InvalidArgumentError(`WatchProxy options.${path} ${error.message} in ${quoteExpression(value)}`, { cause: error });
  }
}

/** The expression for an error message: quoted, and cut at 200 characters (the limit allows far longer ones). */
function quoteExpression(source: string): string {
  return JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source);
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
      reconcileMs: duration(r.reconcileMs, `${at}.reconcileMs`, 0),
      streamingList: flag(r.streamingList, `${at}.streamingList`, true),
      includeManagedFields: settings.includeManagedFields,
      ...(r.labelSelector ? { labelSelector: r.labelSelector } : {}),
      ...(r.fieldSelector ? { fieldSelector: r.fieldSelector } : {}),
      ...(namespaces.length > 0 ? { namespaces } : {}),
      settings,
    };
  });

  const clusters = resolveClusters(options);
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
      clusters: resolveSinkClusters(s.clusters, `${at}.clusters`, clusters),
    };
  });

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

  // Sinks and kubeConfigs are live objects owned by the caller: kept by reference, never frozen.
  const plain = deepFreeze({
    resources,
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
    clusters,
    watchedSince,
    logger,
    onError: options.onError,
    gate,
    sharedCache: shared,
    now: options.clock?.now ?? Date.now,
    random: options.clock?.random ?? Math.random,
  });
}
