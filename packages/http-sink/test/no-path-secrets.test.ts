import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '@watch-proxy/core';
import { createHttpSink } from '../src/index.js';
import { startReceiver } from './helpers/receiver.js';
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

  it('is not in the error chain of a failed connection (fetch names the full URL in its errors)', async () => {
    const url = fx.receiver.url.replace('/watch-proxy', '/hooks/T0KEN-123?sig=S1G');
    await fx.receiver.close();
    const outcome = await createHttpSink({ url, env: {} }).send(batch([change(1)]), context());
    fx.receiver = await startReceiver();
    expect(outcome.status).toBe('retryable');
    const chain: string[] = [];
    for (let e: unknown = (outcome as { error?: unknown }).error; e instanceof Error; e = e.cause) chain.push(`${e.name}: ${e.message}`);
    expect(chain.join('\n')).toContain('ECONNREFUSED');
    expect(chain.join('\n')).not.toMatch(/T0KEN|S1G|hooks/);
  });
});
