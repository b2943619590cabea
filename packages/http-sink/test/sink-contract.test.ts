import { afterAll, beforeAll, expect } from 'vitest';
import { silentLogger } from '@watch-proxy/core';
import { encodeWatchProxyPayload } from '@watch-proxy/core/payload';
import { describeSinkContract } from '@watch-proxy/core/testing';
import { createHttpSink } from '../src/index.js';
import { startReceiver } from './helpers/receiver.js';
import type { Receiver } from './helpers/receiver.js';

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
});

describeSinkContract('http-sink', () => createHttpSink({ name: 'http:contract', url: receiver.url, env: {} }), {
  verifyDelivered: (_sink, batch) => {
    const request = receiver.requests.find((r) => r.headers['idempotency-key'] === batch.id);
    expect(request, `the receiver got batch ${batch.id}`).toBeDefined();
    expect(request?.body.toString('utf8')).toBe(encodeWatchProxyPayload(batch.items, null));
  },
  cleanup: (sink) => sink.close?.({ signal: new AbortController().signal, logger: silentLogger }),
});
