/** What every scenario gets from the runner, and what it reports back. */
import type { TestCluster } from '@watch-proxy/test-cluster';
import type { Api } from './api.ts';

/** Sizes of one run: the full run, or `--smoke` (tiny, for CI: the code runs, the numbers mean nothing). */
export interface Sizes {
  /** Distinct objects recorded for the throughput replay, and events replayed. */
  readonly throughputObjects: number;
  readonly throughputEvents: number;
  /** Changes/s and how long each rate runs, ms. */
  readonly latencyRates: readonly { readonly rate: number; readonly ms: number }[];
  /** ConfigMaps the latency writers update round-robin. */
  readonly latencyPool: number;
  /** Object counts of the initial sync and memory scenarios; the last one is also the idle scenario's. */
  readonly populations: readonly number[];
  readonly idleMs: number;
  readonly slowRate: number;
  readonly slowMs: number;
  readonly postSeconds: number;
}

export const FULL: Sizes = {
  throughputObjects: 2000,
  throughputEvents: 40_000,
  latencyRates: [
    { rate: 10, ms: 20_000 },
    { rate: 100, ms: 10_000 },
    { rate: 1000, ms: 10_000 },
  ],
  latencyPool: 200,
  populations: [10_000, 100_000],
  idleMs: 60_000,
  slowRate: 100,
  slowMs: 10_000,
  postSeconds: 5,
};

export const SMOKE: Sizes = {
  throughputObjects: 40,
  throughputEvents: 120,
  latencyRates: [
    { rate: 10, ms: 300 },
    { rate: 100, ms: 300 },
    { rate: 1000, ms: 200 },
  ],
  latencyPool: 20,
  populations: [100, 300],
  idleMs: 1000,
  slowRate: 100,
  slowMs: 300,
  postSeconds: 0.2,
};

/** One line of the results table. */
export interface Row {
  readonly scenario: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** The floor measured in the same run, in the same unit (absent where none applies). */
  readonly floor?: number | undefined;
  readonly floorLabel?: string | undefined;
  /** value / floor, or as the scenario defines it (then `ratioLabel` says how). */
  readonly ratio?: number | undefined;
  readonly target?: string | undefined;
  readonly met?: boolean | undefined;
  /** 1-minute load average when the figure was taken. */
  readonly load: number;
  readonly note?: string | undefined;
}

export interface Context {
  readonly cluster: TestCluster;
  readonly api: Api;
  readonly sizes: Sizes;
  readonly smoke: boolean;
  report(row: Omit<Row, 'load'>): void;
  /** Free-form details kept in the JSON file. */
  detail(scenario: string, value: unknown): void;
  log(message: string): void;
}
