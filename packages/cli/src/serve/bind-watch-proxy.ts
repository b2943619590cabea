import type { Change, DroppedInfo, EmittedInfo, WatchProxy, WatchProxyError } from '@watch-proxy/core';
import type { WatcherHealth } from '@watch-proxy/core/watch';

import type { WatchProxyMetrics } from './metrics.js';
import type { ProbeIdentityWait, ProbeInput } from './probes.js';

/** `WatchProxy.watchHealth()` where core has it; an older core without it reports no watchers. */
function watchHealthOf(proxy: WatchProxy): readonly WatcherHealth[] {
  const withHealth = proxy as { watchHealth?: () => readonly WatcherHealth[] };
  return typeof withHealth.watchHealth === 'function' ? withHealth.watchHealth.call(proxy) : [];
}

/** What the probes need from a proxy, read now: `livenessOf(probeInputOf(proxy))`. */
export function probeInputOf(proxy: WatchProxy): ProbeInput {
  const stats = proxy.stats();
  // Clusters with clusterUid whose UID is not read yet (their batches wait): the daemon's own, or by name.
  const identityWaits: ProbeIdentityWait[] = [];
  if (stats.clusterUid !== undefined && stats.clusterUid.uid === undefined) identityWaits.push({ error: stats.clusterUid.error });
  for (const [cluster, c] of Object.entries(stats.clusters ?? {})) {
    if (c.clusterUid !== undefined && c.clusterUid.uid === undefined) identityWaits.push({ cluster, error: c.clusterUid.error });
  }
  return { state: stats.state, watchers: watchHealthOf(proxy), identityWaits };
}

/**
 * Connects `metrics` to `proxy`: subscribes to its `change`, `emitted`, `dropped` and `watchError` events and
 * makes scrapes read its `stats()` and watch health. Call it right after `new WatchProxy(...)`, before
 * `start()`, so no event is missed; after a hot reload that creates a new proxy, call the returned function
 * and bind the new one (counters carry on). Send latency needs the sinks wrapped in `timedSink`.
 * Returns a function that unsubscribes and clears the metrics' source. Idempotent.
 */
export function bindWatchProxy(metrics: WatchProxyMetrics, proxy: WatchProxy): () => void {
  const onChange = (change: Change): void => metrics.countChange(change.resource, change.event);
  const onEmitted = (info: EmittedInfo): void => metrics.countEmitted(info.sink, info.batch.items.length, info.cluster);
  const onDropped = (info: DroppedInfo): void => metrics.countDropped(info.sink, info.reason, info.keys.length, info.cluster);
  const onWatchError = (error: WatchProxyError, resource: string, cluster?: string): void => {
    const kind = (error as { kind?: unknown }).kind;
    metrics.countWatchError(resource, typeof kind === 'string' ? kind : error.code, cluster);
  };
  proxy.on('change', onChange);
  proxy.on('emitted', onEmitted);
  proxy.on('dropped', onDropped);
  proxy.on('watchError', onWatchError);
  metrics.setSource(() => {
    const stats = proxy.stats();
    return { resources: watchHealthOf(proxy), endpoints: stats.sinks, received: stats.received, rules: stats.rules, ...(stats.clusters === undefined ? {} : { clusters: stats.clusters }) };
  });
  let bound = true;
  return () => {
    if (!bound) return;
    bound = false;
    proxy.off('change', onChange);
    proxy.off('emitted', onEmitted);
    proxy.off('dropped', onDropped);
    proxy.off('watchError', onWatchError);
    metrics.setSource(undefined);
  };
}
