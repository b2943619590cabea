/**
 * `watch_proxy_state_store_short_entries{endpoint,kind}`: emit cache entries the cluster state store could not
 * hold as they are (kind="without_state": stored without the object, their deletes carry a minimal object;
 * kind="not_stored": not stored, re-sent after a pod replacement and their deletes made meanwhile missed). 0 while
 * everything fits; absent without a cluster store.
 */
import type { SharedCacheUsage } from '@watch-proxy/core/cache';
import { Gauge, type Registry } from 'prom-client';

/** Registers the series on `registry`, read at each scrape from `usage`. */
export function createStateStoreMetrics(registry: Registry, usage: () => readonly SharedCacheUsage[]): void {
  new Gauge({
    name: 'watch_proxy_state_store_short_entries',
    help: 'Emit cache entries the cluster state store (stateStore: cluster, leaderElection) could not hold whole: kind="without_state" (kept without the object) or "not_stored" (no room at all). 0 while everything fits.',
    labelNames: ['endpoint', 'kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const u of usage()) {
        this.set({ endpoint: u.sink, kind: 'without_state' }, u.withoutState);
        this.set({ endpoint: u.sink, kind: 'not_stored' }, u.notStored);
      }
    },
  });
}
