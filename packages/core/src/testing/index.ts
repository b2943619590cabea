// Test helpers for sink authors and users of core. Imports vitest only in describe-sink-contract.ts, which
// is why vitest is an optional peer dependency of core.
export { MemorySink } from './memory-sink.js';
export type { MemorySinkBehaviour, MemorySinkOptions } from './memory-sink.js';
export { FakeSource, fakeResolve } from './fake-source.js';
export { contractBatch, contractChange, describeSinkContract } from './describe-sink-contract.js';
export type { SinkContractOptions } from './describe-sink-contract.js';
