import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/serve/metrics.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

describe('metrics of refused changes', () => {
  it('exports what an endpoint is owed, what it refused and dead-letter records discarded, from lane totals', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    const lane = { queued: 0, inFlight: 0, cached: 3 };
    metrics.observe({ resources: [], endpoints: { cmdb: { ...lane, owed: 2, rejected: 5, deadLetters: { discarded: 1 } } } });
    metrics.observe({ resources: [], endpoints: { cmdb: { ...lane, owed: 0, rejected: 7, deadLetters: { discarded: 1 } } } });
    const f = parsePrometheusText(await registry.metrics());
    expect(f.get('watch_proxy_owed_objects')?.type).toBe('gauge');
    expect(sampleValue(f, 'watch_proxy_owed_objects', { endpoint: 'cmdb' })).toBe(0);
    expect(f.get('watch_proxy_objects_rejected_total')?.type).toBe('counter');
    expect(sampleValue(f, 'watch_proxy_objects_rejected_total', { endpoint: 'cmdb' })).toBe(7);
    expect(sampleValue(f, 'watch_proxy_dead_letters_discarded_total', { endpoint: 'cmdb' })).toBe(1);
  });
});
