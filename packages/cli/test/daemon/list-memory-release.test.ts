import { EventEmitter } from 'node:events';
import { silentLogger } from '@watch-proxy/core';
import type { WatchProxyStats } from '@watch-proxy/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createListMemoryRelease, lastResortCollection, type ReleasedPipeline } from '../../src/list-memory-release.js';

type Lane = { queued: number; inFlight: number };

/** A pipeline with one cluster-less lane and, optionally, a named cluster's lane. */
class FakePipeline extends EventEmitter {
  state: WatchProxyStats['state'] = 'running';
  readonly lane: Lane = { queued: 0, inFlight: 0 };
  readonly clusterLane: Lane = { queued: 0, inFlight: 0 };

  stats(): WatchProxyStats {
    return { state: this.state, sinks: { a: this.lane }, clusters: { east: { sinks: { b: this.clusterLane } } } } as unknown as WatchProxyStats;
  }
}

const asPipeline = (fake: FakePipeline): ReleasedPipeline => fake as unknown as ReleasedPipeline;

describe('releasing the memory of a list once its objects are delivered', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects once after a synced event, only when every lane of every cluster is empty, then stops checking', () => {
    const collect = vi.fn();
    const release = createListMemoryRelease({ logger: silentLogger, collect, checkMs: 1000, minIntervalMs: 60_000, now: Date.now });
    const proxy = new FakePipeline();
    release.bind(asPipeline(proxy));
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled(); // nothing was listed yet

    proxy.lane.queued = 500;
    proxy.clusterLane.inFlight = 10;
    proxy.emit('synced', { resource: 'configmaps', objects: 1000, deletes: 0 });
    vi.advanceTimersByTime(3000);
    expect(collect).not.toHaveBeenCalled(); // the listed objects are still queued: their garbage is not yet garbage
    proxy.lane.queued = 0;
    vi.advanceTimersByTime(3000);
    expect(collect).not.toHaveBeenCalled(); // another cluster's lane is still sending
    proxy.clusterLane.inFlight = 0;
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    release.close();
  });

  it('a relist within minIntervalMs waits for it; one after a reload follows the new pipeline only', () => {
    const collect = vi.fn();
    const release = createListMemoryRelease({ logger: silentLogger, collect, checkMs: 1000, minIntervalMs: 60_000, now: Date.now });
    const first = new FakePipeline();
    release.bind(asPipeline(first));
    first.emit('synced', {});
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);

    first.emit('synced', {}); // a relist 1 s later
    vi.advanceTimersByTime(30_000);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30_000);
    expect(collect).toHaveBeenCalledTimes(2);

    const second = new FakePipeline();
    second.state = 'starting';
    release.bind(asPipeline(second));
    first.emit('synced', {}); // the retired pipeline no longer counts
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(2);
    second.emit('synced', {});
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(2); // not running yet
    second.state = 'running';
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(3);

    second.emit('synced', {});
    release.close();
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the last-resort collection', () => {
  it('is reachable without --expose-gc and gives the pooled pages of freed garbage back', () => {
    const collect = lastResortCollection(silentLogger);
    expect(collect).toBeTypeOf('function');
    collect!(); // settle what the test runner left
    const grow = (): number => Array.from({ length: 400_000 }, (_, i) => ({ i, text: `object ${String(i)}`.repeat(4) })).length;
    expect(grow()).toBe(400_000);
    const grown = process.memoryUsage().heapTotal;
    collect!();
    // V8's committed heap shrinks by most of what the garbage grew it (RSS would too, but moves with the runner).
    expect(process.memoryUsage().heapTotal).toBeLessThan(grown * 0.75);
  });
});
