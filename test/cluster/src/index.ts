export type { ApiResponse, KubectlResult, RequestOptions, StartClusterOptions } from './cluster.ts';
export { TestCluster, attachCluster, startCluster } from './cluster.ts';
export type { MintTokenOptions, MintedToken, PolicyRule } from './mint-token.ts';
export type { ClusterBinaries, EnsureBinariesOptions } from './binaries.ts';
export { ensureBinaries, ensureHelm } from './binaries.ts';
