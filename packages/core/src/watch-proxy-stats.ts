import type { LaneStats } from './deliver/lane-contract.js';
import type { RuleStats } from './expression/expression-rule.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { DropReason } from './types.js';
import type { ClusterStats } from './watch-proxy-types.js';

type Counts = Partial<Record<DropReason, number>>;

/** What removed clusters leave behind, so the proxy's totals never go down. */
export interface RetiredFigures {
  received: number;
  changes: number;
  delivered: number;
  readonly dropped: Counts;
}

/** Adds every count of `from` into `into`. */
export function addCounts(into: Counts, from: Readonly<Counts>): void {
  for (const [reason, n] of Object.entries(from) as [DropReason, number][]) into[reason] = (into[reason] ?? 0) + n;
}

/** Every CEL rule's counters, by rule name: the resources' filters, then each sink's filter, updateFilter and transform. */
export function ruleStatsByName(options: Pick<ResolvedOptions, 'resources' | 'sinks'>): Record<string, RuleStats> {
  const rules: Record<string, RuleStats> = {};
  for (const { settings } of options.resources) if (settings.filter !== undefined) rules[settings.filter.name] = settings.filter.stats();
  for (const { rules: own } of options.sinks) {
    for (const rule of [own.filter, own.updateFilter, own.transform]) if (rule !== undefined) rules[rule.name] = rule.stats();
  }
  return rules;
}

/** A removed cluster's figures, added to `retired`. */
export function retire(retired: RetiredFigures, stats: ClusterStats): void {
  retired.received += stats.received;
  retired.changes += stats.changes;
  for (const lane of Object.values(stats.sinks)) {
    retired.delivered += lane.delivered;
    addCounts(retired.dropped, lane.dropped);
  }
  addCounts(retired.dropped, stats.dropped);
}

/**
 * The proxy-wide figures of `stats()` with several clusters: events, changes and drops before routing summed
 * over the clusters (removed ones included), and each sink's lanes summed over the clusters it takes.
 */
export function sumClusters(
  retired: RetiredFigures,
  clusters: readonly ClusterStats[],
): { received: number; changes: number; dropped: Counts; sinks: Record<string, LaneStats> } {
  const dropped: Counts = { ...retired.dropped };
  const sinks: Record<string, LaneStats> = {};
  let received = retired.received;
  let changes = retired.changes;
  for (const stats of clusters) {
    received += stats.received;
    changes += stats.changes;
    addCounts(dropped, stats.dropped);
    for (const [name, lane] of Object.entries(stats.sinks)) sinks[name] = sinks[name] === undefined ? lane : addLaneStats(sinks[name], lane);
  }
  return { received, changes, dropped, sinks };
}

/** What a shutdown report sums up: changes delivered over every lane, and every drop (before routing and in lanes). */
export function deliveryTotals(retired: RetiredFigures, clusters: readonly ClusterStats[]): { delivered: number; dropped: Counts } {
  const dropped: Counts = { ...retired.dropped };
  let delivered = retired.delivered;
  for (const stats of clusters) {
    addCounts(dropped, stats.dropped);
    for (const lane of Object.values(stats.sinks)) {
      delivered += lane.delivered;
      addCounts(dropped, lane.dropped);
    }
  }
  return { delivered, dropped };
}

/** One sink's lane figures summed over clusters (every figure is a count). */
function addLaneStats(a: LaneStats, b: LaneStats): LaneStats {
  const dropped: Counts = { ...a.dropped };
  addCounts(dropped, b.dropped);
  return {
    queued: a.queued + b.queued,
    inFlight: a.inFlight + b.inFlight,
    cached: a.cached + b.cached,
    delivered: a.delivered + b.delivered,
    batches: a.batches + b.batches,
    retries: a.retries + b.retries,
    rejected: a.rejected + b.rejected,
    owed: a.owed + b.owed,
    deadLetters: { written: a.deadLetters.written + b.deadLetters.written, discarded: a.deadLetters.discarded + b.deadLetters.discarded },
    dropped,
  };
}
