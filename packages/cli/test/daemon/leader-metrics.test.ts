import type { DeliveryGate } from '@watch-proxy/core/leader';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createLeaderMetrics } from '../../src/leader-metrics.js';

class Gate implements DeliveryGate {
  open = false;
  readonly #listeners = new Set<(open: boolean) => void>();
  onChange(listener: (open: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  set(open: boolean): void {
    this.open = open;
    for (const listener of this.#listeners) listener(open);
  }
}

describe('leader metrics', () => {
  it('export the role of the bound gate and count its transitions, following a replaced gate', async () => {
    const registry = new Registry();
    const metrics = createLeaderMetrics(registry);
    expect(await registry.metrics()).toMatch(/^watch_proxy_leader 1$/m);
    const first = new Gate();
    metrics.bind(first);
    expect(await registry.metrics()).toMatch(/^watch_proxy_leader 0$/m);
    first.set(true);
    expect(await registry.metrics()).toMatch(/^watch_proxy_leader 1$/m);
    first.set(false);
    const second = new Gate();
    metrics.bind(second);
    first.set(true); // no longer followed
    second.set(true);
    const text = await registry.metrics();
    expect(text).toMatch(/^watch_proxy_leader 1$/m);
    expect(text).toMatch(/^watch_proxy_leader_transitions_total\{to="leader"\} 2$/m);
    expect(text).toMatch(/^watch_proxy_leader_transitions_total\{to="standby"\} 1$/m);
    second.set(false);
    metrics.bind(undefined);
    expect(await registry.metrics()).toMatch(/^watch_proxy_leader 1$/m);
  });
});
