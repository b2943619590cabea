/**
 * Runs a config's pipeline once over what the cluster (or a file of samples) holds, with capturing sinks in place
 * of the endpoints, and reports per endpoint which objects it would be sent (its data as sent: transformed when it
 * has a transform) and why each other object is not sent. The real pipeline decides; nothing is re-implemented.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { WatchProxy } from '@watch-proxy/core';
import { delivered } from '@watch-proxy/core/sink';
import type { Batch, Change, KubeObject, Logger, SinkOptions } from '@watch-proxy/core';
import type { WatchSourceFactory } from '@watch-proxy/core/watch';

import type { WatchProxyConfig } from '../config/index.js';
import { endpointSelection, toResourceOptions } from '../watch-proxy-options.js';
import { DropExplainer } from './explain-drop.js';

/** One object an endpoint would be sent. */
export interface PreviewSent {
  readonly resource: string;
  readonly key: string;
  readonly event: string;
  /** The item's data as the endpoint would get it. */
  readonly data: KubeObject;
}

/** One object an endpoint would not be sent, and why. */
export interface PreviewDropped {
  readonly resource: string;
  readonly key: string;
  /** The pipeline's drop reason (`filtered`, `filter-error`, `ignored-namespace`...), or `not-routed`. */
  readonly reason: string;
  /** The config key of the rule that dropped it (`resources.0.filter`), for `filtered`/`filter-error`. */
  readonly rule?: string;
  /** What the rule gave: `false`, or `error: ...`; for `not-routed`, the keys that route. */
  readonly detail?: string;
}

/** What one endpoint would receive. */
export interface PreviewEndpoint {
  readonly name: string;
  readonly sent: readonly PreviewSent[];
  readonly dropped: readonly PreviewDropped[];
}

/** A resource that could not be listed (forbidden, not served). */
export interface PreviewResourceProblem {
  readonly resource: string;
  readonly error: string;
}

/** The preview of one config. */
export interface PreviewReport {
  readonly endpoints: readonly PreviewEndpoint[];
  /** Objects listed per configured resource. */
  readonly listed: Readonly<Record<string, number>>;
  readonly problems: readonly PreviewResourceProblem[];
}

/** Where the objects come from. */
export type PreviewSource = { readonly kind: 'cluster'; readonly kubeConfig: KubeConfig } | { readonly kind: 'samples'; readonly factory: WatchSourceFactory };

/** Options of {@link previewConfig}. */
export interface PreviewPipelineOptions {
  readonly config: WatchProxyConfig;
  readonly source: PreviewSource;
  readonly logger: Logger;
  /** Gives up listing after this long, ms (a cluster that does not answer). */
  readonly timeoutMs: number;
}

/** Thrown when the cluster did not give every list within the timeout. */
export class PreviewTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the resources could not all be listed within ${String(timeoutMs / 1000)}s`);
    this.name = 'PreviewTimeoutError';
  }
}

const SKIP = new Set(['unchanged', 'coalesced']);

/** Runs the preview. Rejects with `PreviewTimeoutError` when listing takes longer than `timeoutMs`. */
export async function previewConfig(o: PreviewPipelineOptions): Promise<PreviewReport> {
  const { config } = o;
  const received = new Map<string, Change[]>();
  const capture = (name: string) => ({
    name,
    async send(batch: Batch) {
      const list = received.get(name) ?? [];
      list.push(...batch.items);
      received.set(name, list);
      return delivered();
    },
  });
  // The preview runs over one cluster (its --kubeconfig, or the sample objects): an endpoint's `clusters` has nothing to choose from.
  const selectionOf = (e: (typeof config.remoteEndpoints)[number]): Omit<SinkOptions, 'sink'> => {
    const { clusters: _clusters, ...selection } = endpointSelection(e);
    return selection;
  };
  const endpoints = config.remoteEndpoints.length === 0 ? [{ name: 'stdout', selection: {} }] : config.remoteEndpoints.map((e) => ({ name: e.name, selection: selectionOf(e) }));
  const sinks: SinkOptions[] = endpoints.map((e) => ({ sink: capture(e.name), ...e.selection }));
  const proxy = new WatchProxy({
    // No resync, no add delay: the preview shows the set each endpoint holds once everything is listed.
    resources: config.resources.map((r) => ({ ...toResourceOptions(r, config), resyncMs: 0 })),
    sinks,
    ...(o.source.kind === 'cluster' ? { kubeConfig: o.source.kubeConfig } : { watchSource: o.source.factory }),
    clusterName: config.clusterName,
    ignoreNamespaces: config.ignoreNamespaces,
    emitBatchMaxObjects: 1000,
    emitBatchMaxBytes: config.emitBatchMaxBytes,
    cancelAddDelete: !config.originalContent,
    logger: o.logger,
  });
  const changes = new Map<string, Change>();
  const drops = new Map<string, Map<string, string>>();
  proxy.on('change', (change) => void changes.set(change.key, change));
  proxy.on('dropped', (info) => {
    if (SKIP.has(info.reason)) return;
    const sink = info.sink ?? '';
    const byKey = drops.get(sink) ?? new Map<string, string>();
    for (const key of info.keys) byKey.set(key, info.reason);
    drops.set(sink, byKey);
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new PreviewTimeoutError(o.timeoutMs)), o.timeoutMs);
  });
  try {
    await Promise.race([proxy.start(), timeout]);
    await Promise.race([proxy.flush(), timeout]);
  } catch (error) {
    proxy.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const problems = proxy
    .watchHealth()
    .filter((h) => h.state === 'degraded')
    .map((h) => ({ resource: h.resource, error: h.lastError?.message ?? 'cannot be listed' }));
  const listed: Record<string, number> = {};
  for (const r of config.resources) listed[r.name] = 0;
  for (const change of changes.values()) listed[change.resource] = (listed[change.resource] ?? 0) + 1;
  for (const key of drops.get('')?.keys() ?? []) {
    const resource = key.slice(0, key.indexOf('|'));
    if (!changes.has(key)) listed[resource] = (listed[resource] ?? 0) + 1;
  }
  await proxy.shutdown();

  const explainer = new DropExplainer(config);
  const everywhere = drops.get('') ?? new Map<string, string>();
  const report = endpoints.map(({ name, selection }): PreviewEndpoint => {
    const sent = (received.get(name) ?? []).map((c): PreviewSent => ({ resource: c.resource, key: c.key, event: c.event, data: c.object }));
    const got = new Set(sent.map((s) => s.key));
    const own = drops.get(name) ?? new Map<string, string>();
    const dropped: PreviewDropped[] = [];
    for (const change of [...changes.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      if (got.has(change.key)) continue;
      const reason = own.get(change.key) ?? everywhere.get(change.key);
      const base = { resource: change.resource, key: change.key };
      if (reason === undefined) {
        dropped.push({ ...base, reason: 'not-routed', detail: routing(selection) });
      } else if (reason === 'filtered' || reason === 'filter-error') {
        const cause = explainer.explain(change.resource, name, change.object);
        dropped.push({ ...base, reason, ...(cause === undefined ? {} : { rule: cause.rule, detail: cause.result }) });
      } else {
        dropped.push({ ...base, reason });
      }
    }
    return { name, sent: sent.sort((a, b) => (a.key < b.key ? -1 : 1)), dropped };
  });
  // Pipeline-wide drops before routing (ignoreNamespaces, filterEvents) have no change event: list them too.
  for (const [key, reason] of everywhere) {
    if (changes.has(key)) continue;
    const resource = key.slice(0, key.indexOf('|'));
    for (const endpoint of report) (endpoint.dropped as PreviewDropped[]).push({ resource, key, reason });
  }
  return { endpoints: report, listed, problems };
}

function routing(selection: Omit<SinkOptions, 'sink'>): string {
  const parts: string[] = [];
  if (selection.namespaces?.length) parts.push(`namespaces: ${selection.namespaces.join(', ')}`);
  if (selection.resourceTypes?.length) parts.push(`resourceTypes: ${selection.resourceTypes.join(', ')}`);
  return parts.join('; ');
}
