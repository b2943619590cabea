// @watch-proxy/core/leader: running several replicas of which one delivers (`WatchProxyOptions.gate`).
export { createLeaseElection } from './lease-election.js';
export type { LeaseElection, LeaseElectionOptions } from './lease-election.js';
export type { DeliveryGate } from './delivery-gate.js';
