/**
 * The leader election series: `watch_proxy_leader` (1 while this replica delivers) and
 * `watch_proxy_leader_transitions_total{to}`. They follow whichever election is current: a reload that changes
 * `leaderElection` replaces the election, and `bind` moves the series to the new gate.
 */
import type { DeliveryGate } from '@watch-proxy/core/leader';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The leader series of one process. */
export interface LeaderMetrics {
  /** Follows `gate` from now on (undefined: election off, every replica delivers and the gauge reads 1). */
  bind(gate: DeliveryGate | undefined): void;
}

/** Registers the series on `registry` (the daemon's, `ops.metrics.registry`). */
export function createLeaderMetrics(registry: Registry): LeaderMetrics {
  let current: DeliveryGate | undefined;
  let unsubscribe: (() => void) | undefined;
  const registers = [registry];
  new Gauge({
    name: 'watch_proxy_leader',
    help: '1 while this replica delivers (holds the leader election Lease, or runs without leaderElection), 0 while it stands by.',
    registers,
    collect() {
      this.set(current === undefined || current.open ? 1 : 0);
    },
  });
  const transitions = new Counter({
    name: 'watch_proxy_leader_transitions_total',
    help: 'Times this replica became the leader (to="leader") or stood down (to="standby").',
    labelNames: ['to'],
    registers,
  });
  return {
    bind(gate) {
      unsubscribe?.();
      current = gate;
      unsubscribe = gate?.onChange((open) => transitions.inc({ to: open ? 'leader' : 'standby' }));
    },
  };
}
