import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '@watch-proxy/core';
import { useSinkFixture } from './helpers/sink-fixture.js';
import { batch, change, context } from './helpers/sink-harness.js';

const fx = useSinkFixture();

function messageOf(outcome: SendOutcome): string {
  return (outcome as { error?: Error }).error?.message ?? '';
}

describe('an endpoint URL carrying a token in its path', () => {
  it('is posted to as given, and messages show only its scheme and host', async () => {
    fx.receiver.handle((_request, res) => {
      res.writeHead(500).end('down');
    });
    const url = fx.receiver.url.replace('/watch-proxy', '/hooks/T0KEN-123');
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_f: object, msg?: string) => warnings.push(msg ?? ''), child: () => logger };
    const sink = fx.sinkFor({ url, tls: { caFile: '/nonexistent-but-unused-on-http' }, logger });
    const outcome = await sink.send(batch([change(1)]), context());
    expect(fx.receiver.requests[0]?.url).toBe('/hooks/T0KEN-123');
    const origin = new URL(url).host;
    expect(sink.target).toBe(`http://${origin}/…`);
    expect(messageOf(outcome)).toContain(`POST http://${origin}/… answered 500`);
    expect(warnings).toHaveLength(1);
    expect([messageOf(outcome), ...warnings, sink.target, sink.name].join('\n')).not.toContain('T0KEN');
  });
});
