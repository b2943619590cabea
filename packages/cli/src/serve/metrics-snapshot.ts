// What the metrics read: the snapshot a scrape takes of the pipeline (resources, endpoints, rules) and what one
// send attempt reports. Plain shapes, so core's types fit them and tests can write them by hand.

/** One watched resource at scrape time. `WatcherHealth` from `@watch-proxy/core` has this shape. */
export interface ResourceSnapshot {
  /** The configured resource name (`services`, `certificates.cert-manager.io`): the `resource` label. */
  readonly resource: string;
  /** Its cluster with `clusters:` (the `cluster` label); absent otherwise, and so is the label. */
  readonly cluster?: string | undefined;
  /** The watcher's state (`watching`, `syncing`, `backoff`, `degraded`...): the `state` label of a 1-valued gauge. */
  readonly state: string;
  /** True once the first complete list was processed. */
  readonly synced: boolean;
  /** Objects in the watcher's cache. */
  readonly objects: number;
  /** Complete lists after the first one, since the watcher started (a total; may restart at 0). */
  readonly relists: number;
  /** Watch requests opened after the first one, since the watcher started (a total; may restart at 0). */
  readonly reconnects: number;
  /** Epoch ms of the last watch event; undefined when none yet. */
  readonly lastEventAt: number | undefined;
  /** Epoch ms of the last complete list; undefined when none yet. */
  readonly lastListAt: number | undefined;
  /** Epoch ms of the last watch bookmark; undefined when none yet (or the source does not report them). */
  readonly lastBookmarkAt?: number | undefined;
}

/** One endpoint (sink) at scrape time. `LaneStats` from `@watch-proxy/core` has this shape. */
export interface EndpointSnapshot {
  /** Changes waiting to be batched. */
  readonly queued: number;
  /** Changes in the batch being sent. */
  readonly inFlight: number;
  /** Entries in the endpoint's emit cache (objects it is known to have). */
  readonly cached: number;
  /** Changes the endpoint refused that it is still owed (tried again on a slow schedule). Omit if unknown. */
  readonly owed?: number;
  /** Changes the endpoint refused, a total since the pipeline started (each refusal counts). Omit if unknown. */
  readonly rejected?: number;
  /** Dead-letter records discarded by rotation or a failed write, a total. Omit if unknown. */
  readonly deadLetters?: { readonly discarded: number };
}

/** One CEL rule's counters at scrape time. `RuleStats` from `@watch-proxy/core` has this shape. */
export interface RuleSnapshot {
  /** Evaluations that let the object through, a total since the pipeline started. */
  readonly matched: number;
  /** Evaluations that gave false. */
  readonly dropped: number;
  /** Evaluations that failed (counted as not matching). */
  readonly errors: number;
}

/**
 * The labels of a rule named as core names it: `resource/<resource>/filter` or `sink/<endpoint>/<kind>` (a name
 * may itself hold `/`: `apps/v1/deployments`). Undefined for a name of another shape.
 */
export function ruleLabels(name: string): { endpoint: string; resource: string; rule: string } | undefined {
  const first = name.indexOf('/');
  const last = name.lastIndexOf('/');
  if (first < 0 || last <= first) return undefined;
  const scope = name.slice(0, first);
  const owner = name.slice(first + 1, last);
  const rule = name.slice(last + 1);
  if (scope === 'resource') return { endpoint: '', resource: owner, rule };
  if (scope === 'sink') return { endpoint: owner, resource: '', rule };
  return undefined;
}

/**
 * What the metrics read on every scrape. `{ resources: proxy.watchHealth(), endpoints: proxy.stats().sinks,
 * received: proxy.stats().received }` fits as is. Resources or endpoints missing from a snapshot lose their
 * gauges (a hot reload removed them); their counters stay.
 */
export interface MetricsSnapshot {
  readonly resources: readonly ResourceSnapshot[];
  /** Keyed by endpoint (sink) name: the `endpoint` label. */
  readonly endpoints: Readonly<Record<string, EndpointSnapshot>>;
  /** Watch events received over all resources, a total since the pipeline started. Omit if unknown. */
  readonly received?: number;
  /** Each CEL rule's counters, keyed by core's rule name (`stats().rules`). Omit if unknown. */
  readonly rules?: Readonly<Record<string, RuleSnapshot>>;
  /**
   * With `clusters:` (core's `stats().clusters`): endpoints and events received per cluster, exported with a
   * `cluster` label instead of `endpoints` and `received`. Omit otherwise: no series gets the label.
   */
  readonly clusters?: Readonly<Record<string, { readonly sinks: Readonly<Record<string, EndpointSnapshot>>; readonly received: number }>>;
}

/** How one `send` attempt ended, as the `outcome` label: a sink's `SendOutcome` status; a throw is `retryable`. */
export type SendOutcomeLabel = 'delivered' | 'retryable' | 'rejected' | 'partial' | 'resend';

/** One finished `send` attempt, as `timedSink` reports it. */
export interface SendObservation {
  /** How long the attempt took, in seconds. */
  readonly seconds: number;
  readonly outcome: SendOutcomeLabel;
  /** Objects in the batch. */
  readonly objects: number;
  /** 1 for the first attempt at a batch; 2, 3... are retries (their objects count as retried). */
  readonly attempt: number;
}
