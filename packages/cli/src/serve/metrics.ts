import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';

import { CounterFeed } from './counter-feed.js';
import { ruleLabels, type EndpointSnapshot, type MetricsSnapshot, type SendObservation } from './metrics-snapshot.js';

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Where every series is registered. Use a fresh `new Registry()` (not prom-client's global one) per daemon. */
  readonly registry: Registry;
  /** Read on every scrape; set or replace it later with `setSource`. Default: none (gauges stay empty). */
  readonly source?: (() => MetricsSnapshot) | undefined;
  /** Exported as `watch_proxy_build_info{version}`. Default: not exported. */
  readonly version?: string | undefined;
  /** Also register prom-client's default process and Node.js metrics (`process_*`, `nodejs_*`). Default: true. */
  readonly defaultMetrics?: boolean | undefined;
  /** Clock for `watch_proxy_seconds_since_last_event`, epoch ms. Default: `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/**
 * The daemon's Prometheus series (docs/operations.md lists them). Two ways in:
 * - **events**: the `count*`/`observeSend` methods, called from `WatchProxy` events and `timedSink` as things
 *   happen (counters, histograms). Cheap; safe to call at any rate; never throw for well-formed input.
 * - **snapshots**: on every scrape the registry's `collect()` hooks read the `source` once and refresh the gauges
 *   and the counters kept as totals by core (relists, watch restarts, events received). `observe(snapshot)` does
 *   the same on demand.
 *
 * `bindWatchProxy` wires both to a `WatchProxy` in one call.
 */
export interface WatchProxyMetrics {
  readonly registry: Registry;
  /**
   * Sets (or with `undefined` clears) what scrapes read, e.g. after a hot reload created a new proxy. The gauges
   * are emptied until the next scrape reads the new source; counters keep their values.
   */
  setSource(source: (() => MetricsSnapshot) | undefined): void;
  /** Applies a snapshot now (what a scrape does with the source's snapshot). */
  observe(snapshot: MetricsSnapshot): void;
  /**
   * One change left the delta engine (core's `change` event): `watch_proxy_objects_processed_count` (the
   * original's counter: objects that passed filterEvents and went to the endpoints' queues) and
   * `watch_proxy_changes_total{resource,event}`.
   */
  countChange(resource: string, event: string): void;
  /**
   * An endpoint confirmed a batch of `objects` changes (core's `emitted` event): the original's
   * `watch_proxy_payloads_sent_count` (one per successful request) and `watch_proxy_objects_emitted_total{endpoint}`.
   */
  countEmitted(endpoint: string, objects: number, cluster?: string): void;
  /**
   * `objects` changes were dropped for `reason` (core's `dropped` event: a `DropReason`). `endpoint` is undefined
   * for drops before routing (ignored namespace, filtered event...), exported as `endpoint=""`.
   */
  countDropped(endpoint: string | undefined, reason: string, objects: number, cluster?: string): void;
  /** One send attempt finished: the latency histogram, and retried objects when `attempt > 1`. */
  observeSend(endpoint: string, observation: SendObservation): void;
  /** A list, watch or discovery attempt failed (core's `watchError` event); `kind` is `WatchError.kind` (`forbidden`...). */
  countWatchError(resource: string, kind: string, cluster?: string): void;
  /** A configuration reload was applied (`success`) or rejected (`failure`). */
  countConfigReload(result: 'success' | 'failure'): void;
}

/** The original's help texts, verbatim, so dashboards built on them keep their descriptions. */
const PROCESSED_HELP = 'Counter of Kubernetes objects processed by Quartermaster.';
const SENT_HELP = 'Counter of payloads sent to remote endpoint by Quartermaster.';

/** Send latency buckets in seconds: loopback receivers answer in ms, the default attempt timeout is 5 s. */
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Registers every watch-proxy series on `options.registry` and returns the handle that updates them. Call once
 * per registry: registering the same names twice throws (prom-client's rule).
 */
export function createMetrics(options: MetricsOptions): WatchProxyMetrics {
  const registers = [options.registry];
  const now = options.now ?? Date.now;
  let source = options.source;
  // A scrape calls every collect() hook in one go; read the source once per scrape, not once per series.
  let refreshed = false;
  const refresh = (): void => {
    if (refreshed || source === undefined) return;
    refreshed = true;
    queueMicrotask(() => {
      refreshed = false;
    });
    observe(source());
  };

  const processed = new Counter({ name: 'watch_proxy_objects_processed_count', help: PROCESSED_HELP, registers });
  const sent = new Counter({ name: 'watch_proxy_payloads_sent_count', help: SENT_HELP, registers });
  const received = new Counter({
    name: 'watch_proxy_events_received_total',
    help: 'Watch events received from the Kubernetes API over all resources, before any filtering (per cluster with clusters:).',
    labelNames: ['cluster'] as const,
    registers,
    collect: refresh,
  });
  const changes = new Counter({
    name: 'watch_proxy_changes_total',
    help: 'Changes that passed filtering and went to routing, per resource and event (add, update, delete).',
    labelNames: ['resource', 'event'] as const,
    registers,
  });
  const emitted = new Counter({
    name: 'watch_proxy_objects_emitted_total',
    help: 'Objects an endpoint confirmed receiving.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
  });
  const dropped = new Counter({
    name: 'watch_proxy_objects_dropped_total',
    help: 'Objects not sent, per endpoint and reason; endpoint="" for drops before routing.',
    labelNames: ['cluster', 'endpoint', 'reason'] as const,
    registers,
  });
  const retried = new Counter({
    name: 'watch_proxy_objects_retried_total',
    help: 'Objects sent again to an endpoint after a failed attempt.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
  });
  const sendDuration = new Histogram({
    name: 'watch_proxy_send_duration_seconds',
    help: 'Duration of send attempts to an endpoint, per outcome (delivered, retryable, rejected, partial, resend).',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: SEND_BUCKETS,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'watch_proxy_queue_depth',
    help: 'Changes waiting to be sent to an endpoint.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const inFlight = new Gauge({
    name: 'watch_proxy_in_flight_objects',
    help: 'Changes in the batch currently being sent to an endpoint.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const cacheSize = new Gauge({
    name: 'watch_proxy_emit_cache_size',
    help: 'Entries in an endpoint emit cache (objects the endpoint is known to have).',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const owed = new Gauge({
    name: 'watch_proxy_owed_objects',
    help: 'Changes an endpoint refused (3xx, 413, other 4xx) that it is still owed: tried again every rejectedRetryInterval and with their next change.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const rejectedTotal = new Counter({
    name: 'watch_proxy_objects_rejected_total',
    help: 'Changes an endpoint refused on their own (after splitting the batch) or with the whole endpoint; each refusal counts. Listed in the dead-letter file.',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const deadLettersDiscarded = new Counter({
    name: 'watch_proxy_dead_letters_discarded_total',
    help: 'Dead-letter records dropped, oldest first, when the bounded dead-letter file rotated (or lost to a failed write).',
    labelNames: ['cluster', 'endpoint'] as const,
    registers,
    collect: refresh,
  });
  const restarts = new Counter({
    name: 'watch_proxy_watch_restarts_total',
    help: 'Watch requests re-opened for a resource (server timeouts, disconnects, watchdogs).',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const relists = new Counter({
    name: 'watch_proxy_relists_total',
    help: 'Complete lists of a resource after its first one (410 Gone, recovery, reconcile).',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const watchErrors = new Counter({
    name: 'watch_proxy_watch_errors_total',
    help: 'Failed list, watch or discovery attempts per resource and kind (forbidden, network, server...).',
    labelNames: ['cluster', 'resource', 'kind'] as const,
    registers,
  });
  const sinceEvent = new Gauge({
    name: 'watch_proxy_seconds_since_last_event',
    help: 'Seconds since the last watch event of a resource, or since its last complete list if more recent.',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const sinceBookmark = new Gauge({
    name: 'watch_proxy_seconds_since_last_bookmark',
    help: 'Seconds since the apiserver last sent a bookmark on a resource\'s watch (about every minute while the stream is healthy); absent until the first.',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const state = new Gauge({
    name: 'watch_proxy_watcher_state',
    help: 'Current state of a resource watcher: 1 for the state it is in (watching, syncing, backoff, degraded...).',
    labelNames: ['cluster', 'resource', 'state'] as const,
    registers,
    collect: refresh,
  });
  const synced = new Gauge({
    name: 'watch_proxy_resource_synced',
    help: '1 once the first complete list of a resource was processed, else 0.',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const objects = new Gauge({
    name: 'watch_proxy_watched_objects',
    help: 'Objects in the watch cache of a resource.',
    labelNames: ['cluster', 'resource'] as const,
    registers,
    collect: refresh,
  });
  const ruleLabelNames = ['endpoint', 'resource', 'rule'] as const;
  const ruleMatched = new Counter({
    name: 'watch_proxy_rule_matched_total',
    help: 'Objects a CEL rule let through (a filter gave true, a transform gave a map), per rule: endpoint="" for a resource\'s filter, resource="" for an endpoint\'s; rule is filter, updateFilter or transform.',
    labelNames: ruleLabelNames,
    registers,
    collect: refresh,
  });
  const ruleDropped = new Counter({
    name: 'watch_proxy_rule_dropped_total',
    help: 'Objects a CEL filter or updateFilter gave false for, per rule (labels as watch_proxy_rule_matched_total).',
    labelNames: ruleLabelNames,
    registers,
    collect: refresh,
  });
  const ruleErrors = new Counter({
    name: 'watch_proxy_rule_errors_total',
    help: 'Evaluations of a CEL rule that failed on an object (a missing field without has(), a wrong type), counted as not matching (drop reason filter-error); each object key is logged once per rule.',
    labelNames: ruleLabelNames,
    registers,
    collect: refresh,
  });
  const reloads = new Counter({
    name: 'watch_proxy_config_reloads_total',
    help: 'Configuration reloads, per result (success, failure).',
    labelNames: ['result'] as const,
    registers,
  });
  const lastReload = new Gauge({
    name: 'watch_proxy_config_last_reload_successful',
    help: '1 when the last configuration reload was applied (or none was tried), 0 when it was rejected.',
    registers,
  });
  lastReload.set(1);
  if (options.version !== undefined) {
    new Gauge({
      name: 'watch_proxy_build_info',
      help: 'Always 1; the version label is the running watch-proxy version.',
      labelNames: ['version'] as const,
      registers,
    }).set({ version: options.version }, 1);
  }
  // prom-client samples event-loop delay every 10 ms by default: a timer waking an idle daemon 100 times a
  // second (3.5 millicores alone, 0.6 at 100 ms, 0.07 at 1 s; the idle target is 2 for the whole daemon). Once a
  // second still records every block of a second or more, and shorter ones in proportion to their length.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: options.registry, eventLoopMonitoringPrecision: 1000 });

  const snapshotGauges = [queueDepth, inFlight, cacheSize, owed, sinceEvent, sinceBookmark, state, synced, objects];
  const rejectedFeed = new CounterFeed(rejectedTotal);
  const discardedFeed = new CounterFeed(deadLettersDiscarded);
  const receivedFeed = new CounterFeed(received);
  const restartFeed = new CounterFeed(restarts);
  const relistFeed = new CounterFeed(relists);
  const ruleFeeds = { matched: new CounterFeed(ruleMatched), dropped: new CounterFeed(ruleDropped), errors: new CounterFeed(ruleErrors) };

  function observe(snapshot: MetricsSnapshot): void {
    const at = now();
    // Reset the gauges first so resources and endpoints removed by a reload stop being exported.
    for (const gauge of snapshotGauges) gauge.reset();
    const lanes = (endpoints: Readonly<Record<string, EndpointSnapshot>>, tag: { cluster?: string }): void => {
      for (const [endpoint, lane] of Object.entries(endpoints)) {
        const labels = { ...tag, endpoint };
        queueDepth.set(labels, lane.queued);
        inFlight.set(labels, lane.inFlight);
        cacheSize.set(labels, lane.cached);
        if (lane.owed !== undefined) owed.set(labels, lane.owed);
        if (lane.rejected !== undefined) rejectedFeed.set(labels, lane.rejected);
        if (lane.deadLetters !== undefined) discardedFeed.set(labels, lane.deadLetters.discarded);
      }
    };
    if (snapshot.clusters === undefined) lanes(snapshot.endpoints, {});
    for (const [cluster, c] of Object.entries(snapshot.clusters ?? {})) {
      lanes(c.sinks, { cluster });
      receivedFeed.set({ cluster }, c.received);
    }
    for (const r of snapshot.resources) {
      const resource = { ...(r.cluster === undefined ? {} : { cluster: r.cluster }), resource: r.resource };
      state.set({ ...resource, state: r.state }, 1);
      synced.set(resource, r.synced ? 1 : 0);
      objects.set(resource, r.objects);
      restartFeed.set(resource, r.reconnects);
      relistFeed.set(resource, r.relists);
      const last = Math.max(r.lastEventAt ?? Number.NEGATIVE_INFINITY, r.lastListAt ?? Number.NEGATIVE_INFINITY);
      if (Number.isFinite(last)) sinceEvent.set(resource, Math.max(0, (at - last) / 1000));
      if (r.lastBookmarkAt !== undefined) sinceBookmark.set(resource, Math.max(0, (at - r.lastBookmarkAt) / 1000));
    }
    if (snapshot.received !== undefined && snapshot.clusters === undefined) receivedFeed.set({}, snapshot.received);
    for (const [name, stats] of Object.entries(snapshot.rules ?? {})) {
      const labels = ruleLabels(name);
      if (labels === undefined) continue;
      ruleFeeds.matched.set(labels, stats.matched);
      ruleFeeds.dropped.set(labels, stats.dropped);
      ruleFeeds.errors.set(labels, stats.errors);
    }
  }

  return {
    registry: options.registry,
    setSource(next) {
      source = next;
      // Values of the previous source describe a pipeline that is gone; the next scrape reads the new one.
      for (const gauge of snapshotGauges) gauge.reset();
      // A new pipeline's rule totals start at 0: counted from there, however they compare to the old ones.
      for (const feed of Object.values(ruleFeeds)) feed.restart();
    },
    observe,
    countChange(resource, event) {
      processed.inc();
      changes.inc({ resource, event });
    },
    countEmitted(endpoint, n, cluster) {
      sent.inc();
      emitted.inc(cluster === undefined ? { endpoint } : { cluster, endpoint }, n);
    },
    countDropped(endpoint, reason, n, cluster) {
      dropped.inc({ ...(cluster === undefined ? {} : { cluster }), endpoint: endpoint ?? '', reason }, n);
    },
    observeSend(endpoint, o) {
      sendDuration.observe({ endpoint, outcome: o.outcome }, o.seconds);
      if (o.attempt > 1) retried.inc({ endpoint }, o.objects);
    },
    countWatchError(resource, kind, cluster) {
      watchErrors.inc({ ...(cluster === undefined ? {} : { cluster }), resource, kind });
    },
    countConfigReload(result) {
      reloads.inc({ result });
      lastReload.set(result === 'success' ? 1 : 0);
    },
  };
}
