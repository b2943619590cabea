// The per-test setup every sink test file needs: a fresh loopback receiver, and sinks pointed at it that
// are closed (sockets released) before the receiver goes away.
import { afterEach, beforeEach } from 'vitest';
import { createHttpSink } from '../../src/index.js';
import type { HttpSink, HttpSinkOptions } from '../../src/index.js';
import { startReceiver } from './receiver.js';
import type { Receiver } from './receiver.js';
import { context } from './sink-harness.js';

/** The receiver of the running test (a test may replace it) and a factory of sinks aimed at it. */
export interface SinkFixture {
  receiver: Receiver;
  /** A sink posting to `receiver.url` with an empty env unless `options` say otherwise; closed after the test. */
  sinkFor(options?: Partial<HttpSinkOptions>): HttpSink;
}

/** Registers beforeEach/afterEach hooks in the calling test file and returns the fixture they maintain. */
export function useSinkFixture(): SinkFixture {
  const sinks: HttpSink[] = [];
  const fixture: SinkFixture = {
    receiver: undefined as unknown as Receiver,
    sinkFor(options = {}) {
      const sink = createHttpSink({ url: fixture.receiver.url, env: {}, ...options });
      sinks.push(sink);
      return sink;
    },
  };
  beforeEach(async () => {
    fixture.receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close?.(context() as never);
    await fixture.receiver.close();
  });
  return fixture;
}
