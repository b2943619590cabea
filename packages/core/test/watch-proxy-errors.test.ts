import { afterEach, describe, expect, it } from 'vitest';
import { ExpressionError } from '../src/expression/compile-expression.js';
import { InternalError, InvalidArgumentError, ListenerError, SinkCloseError, SinkStartError, StateError, type WatchProxyError } from '../src/errors.js';
import type { WatchProxyOptions } from '../src/options.js';
import { delivered, type Sink } from '../src/sink/sink.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { MemorySink } from '../src/testing/memory-sink.js';
import { WatchProxy } from '../src/watch-proxy.js';
import { ManualGate, MemorySharedCache, cm } from './leader/ha-fixtures.js';

const proxies: WatchProxy[] = [];

function proxy(overrides: Partial<WatchProxyOptions>, source = new FakeSource()): { p: WatchProxy; errors: WatchProxyError[] } {
  const errors: WatchProxyError[] = [];
  const p = new WatchProxy({ resources: ['configmaps'], sinks: [new MemorySink()], watchSource: source.factory, emitIntervalMs: 0, onError: (e) => errors.push(e), ...overrides });
  proxies.push(p);
  return { p, errors };
}

/** A shared cache whose load always fails. */
class UnreadableSharedCache extends MemorySharedCache {
  override load(): Promise<undefined> {
    return Promise.reject(new Error('apiserver said no'));
  }
}

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.shutdown({ timeoutMs: 0 })));
});

describe('WatchProxy error codes', () => {
  it('reports a throwing listener as ListenerError (WP_ERR_LISTENER_THREW) naming the event, the throw as cause', async () => {
    const source = new FakeSource({ configmaps: [cm('a')] });
    const { p, errors } = proxy({}, source);
    const bug = new Error('listener bug');
    p.on('change', () => {
      throw bug;
    });
    await p.start();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ListenerError);
    expect(errors[0]).toMatchObject({ code: 'WP_ERR_LISTENER_THREW', event: 'change', message: 'a "change" listener threw', cause: bug });
  });

  it('lists a sink that fails to close as SinkCloseError (WP_ERR_SINK_CLOSE), not as a send failure', async () => {
    const failure = new Error('socket stuck');
    const sink: Sink = {
      name: 'stubborn',
      send: () => Promise.resolve(delivered()),
      close: () => Promise.reject(failure),
    };
    const { p } = proxy({ sinks: [sink] });
    await p.start();
    const report = await p.shutdown();
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toBeInstanceOf(SinkCloseError);
    expect(report.errors[0]).toMatchObject({ code: 'WP_ERR_SINK_CLOSE', sink: 'stubborn', message: 'sink "stubborn" failed to close', cause: failure });
  });

  it("passes on a sink's own SinkStartError as it is, and wraps any other start failure", async () => {
    const own = new SinkStartError('picky', { reason: 'startup check: certificate has expired' });
    const picky: Sink = { name: 'picky', send: () => Promise.resolve(delivered()), start: () => Promise.reject(own) };
    await expect(proxy({ sinks: [picky] }).p.start()).rejects.toBe(own);
    expect(own.message).toBe('sink "picky" failed to start: startup check: certificate has expired');

    const plain = new Error('nope');
    const other: Sink = { name: 'other', send: () => Promise.resolve(delivered()), start: () => Promise.reject(plain) };
    const rejection = await proxy({ sinks: [other] }).p.start().catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(SinkStartError);
    expect(rejection).toMatchObject({ code: 'WP_ERR_SINK_START', sink: 'other', cause: plain });
  });

  it('reports a failed load of the cluster state store as StateError WP_ERR_STATE_LOAD, at start and at a takeover', async () => {
    const atStart = proxy({ sharedCache: new UnreadableSharedCache() });
    await atStart.p.start();
    expect(atStart.errors).toHaveLength(1);
    expect(atStart.errors[0]).toBeInstanceOf(StateError);
    expect(atStart.errors[0]).toMatchObject({ code: 'WP_ERR_STATE_LOAD', message: expect.stringContaining('loading the cluster state of sink "memory" failed') as unknown });

    const gate = new ManualGate();
    gate.set(true);
    const takeover = proxy({ sharedCache: new UnreadableSharedCache(), gate });
    await takeover.p.start();
    expect(takeover.errors.map((e) => [e.constructor.name, e.code])).toEqual([['StateError', 'WP_ERR_STATE_LOAD']]);
    expect(takeover.errors[0]?.message).toContain('loading the shared emit cache of sink "memory" failed');
  });

  it('reports a failed takeover as InternalError (WP_ERR_INTERNAL), not as an invalid argument', async () => {
    const bug = new Error('snapshot bug');
    class BrokenSnapshot extends FakeSource {
      override snapshot(): never {
        throw bug;
      }
    }
    const gate = new ManualGate();
    gate.set(true);
    const { p, errors } = proxy({ gate }, new BrokenSnapshot());
    await p.start();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InternalError);
    expect(errors[0]).toMatchObject({ code: 'WP_ERR_INTERNAL', message: 'taking over delivery failed', cause: bug });
  });

  it('refuses a bad expression with InvalidArgumentError naming the key path and the expression, the ExpressionError as cause', () => {
    let error: unknown;
    try {
      proxy({ resources: [{ name: 'services', filter: 'object.spec.type ==' }] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/^WatchProxy options\.resources\[0\]\.filter 1:20: .*EOF.* in "object\.spec\.type =="$/);
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(ExpressionError);
    expect(cause).toMatchObject({ code: 'WP_ERR_EXPRESSION_INVALID', source: 'object.spec.type ==', line: 1, column: 20 });
  });

  it('cuts a long expression in the message', () => {
    const long = `${'object.metadata.name == "x" || '.repeat(20)}object.spec.type ==`;
    expect(() => proxy({ sinks: [{ sink: new MemorySink(), filter: long }] })).toThrow(/ in "object\.metadata\.name == \\"x\\" \|\| .{100,}…"$/);
  });
});
