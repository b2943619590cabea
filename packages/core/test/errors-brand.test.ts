import { describe, expect, it, vi } from 'vitest';

/**
 * The public error classes of core (root and ./expression entries), and NotJsonError and IntentLogFullError
 * (internal, but subclasses): one instance of each.
 */
async function copyOfCore() {
  const core = {
    ...(await import('../src/index.js')),
    ...(await import('../src/expression/index.js')),
    ...(await import('../src/cache/cluster-store.js')),
    ...(await import('../src/cache/index.js')),
    ...(await import('../src/watch/index.js')),
    ...(await import('../src/kube/index.js')),
  };
  const { NotJsonError } = await import('../src/expression/to-json.js');
  const details = { sink: 's', batchId: 'b', attempt: 1, retryable: true };
  const instances = {
    WatchProxyError: () => new core.WatchProxyError('WP_ERR_SINK_SEND', 'x'),
    InvalidArgumentError: () => new core.InvalidArgumentError('x'),
    ConfigError: () => new core.ConfigError('url', 'x'),
    ExpressionError: () => new core.ExpressionError('a ==', 4, 'x'),
    NotJsonError: () => new NotJsonError('x'),
    ClosedError: () => new core.ClosedError(),
    InternalError: () => new core.InternalError('x'),
    ListenerError: () => new core.ListenerError('change'),
    SinkError: () => new core.SinkError('WP_ERR_SINK_SEND', 'x', details),
    SinkStartError: () => new core.SinkStartError('s'),
    SinkCloseError: () => new core.SinkCloseError('s'),
    StateError: () => new core.StateError('WP_ERR_STATE_LOAD', 'x'),
    IntentLogFullError: () => new core.IntentLogFullError(1),
    WatchError: () => new core.WatchError('network', 'x'),
    KubeRequestError: () => new core.KubeRequestError(0, 'x'),
  };
  const classes = { ...core, NotJsonError } as unknown as Record<keyof typeof instances, abstract new (...args: never[]) => Error>;
  return { core, instances, classes };
}

describe('error classes across two installed copies of core', () => {
  it('instanceof holds for the same class and the base, not for another class, in both directions', async () => {
    const a = await copyOfCore();
    vi.resetModules();
    const b = await copyOfCore();
    // Two module instances: two distinct class objects, so only the brand can make instanceof hold.
    expect(b.classes.SinkError).not.toBe(a.classes.SinkError);
    const names = Object.keys(a.instances) as (keyof typeof a.instances)[];
    expect(names).toHaveLength(15);
    for (const name of names) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const error = from.instances[name]();
        expect(Object.getPrototypeOf(error), name).not.toBe(to.classes[name].prototype);
        expect(error instanceof to.classes[name], `${name} instanceof the other copy's ${name}`).toBe(true);
        expect(error instanceof to.core.WatchProxyError, `${name} instanceof the other copy's WatchProxyError`).toBe(true);
        expect(error instanceof Error).toBe(true);
        for (const other of names) {
          if (other !== name && other !== 'WatchProxyError') expect(error instanceof to.classes[other], `${name} instanceof ${other}`).toBe(false);
        }
      }
    }
  });

  it("gives each class's instances a code the table assigns to that class", async () => {
    const { core, instances } = await copyOfCore();
    for (const [name, make] of Object.entries(instances)) {
      const error = make() as InstanceType<typeof core.WatchProxyError>;
      expect(error.name, name).toBe(name);
      if (name !== 'WatchProxyError') expect(core.WATCH_PROXY_ERROR_CODES[error.code], name).toBe(name);
    }
  });

  it('keeps the name, code and fields, and the brands stay out of enumeration and JSON', async () => {
    const { core } = await copyOfCore();
    const error = new core.ConfigError('tls.caFile', 'cannot read /x: file not found', { cause: new Error('ENOENT') });
    expect(error).toMatchObject({ name: 'ConfigError', code: 'WP_ERR_CONFIG_INVALID', option: 'tls.caFile', reason: 'cannot read /x: file not found' });
    expect(error.message).toBe('tls.caFile: cannot read /x: file not found');
    expect(Object.getOwnPropertySymbols(error).every((symbol) => !Object.getOwnPropertyDescriptor(error, symbol)?.enumerable)).toBe(true);
    expect(Object.keys(JSON.parse(JSON.stringify(error)) as object).sort()).toEqual(['code', 'name', 'option', 'reason']);
  });

  it("checks a user's own subclass by its prototype chain, and matches it as a WatchProxyError", async () => {
    const { core } = await copyOfCore();
    class MySinkError extends core.SinkStartError {}
    const mine = new MySinkError('s');
    expect(mine instanceof MySinkError).toBe(true);
    expect(mine instanceof core.SinkStartError).toBe(true);
    expect(mine instanceof core.WatchProxyError).toBe(true);
    expect(new core.SinkStartError('s') instanceof MySinkError).toBe(false);
    expect({ code: 'WP_ERR_SINK_START' } instanceof core.WatchProxyError).toBe(false);
  });

  it("matches an instance of a release before per-class brands as a WatchProxyError (its brand was 'watch-proxy.error')", async () => {
    const { core } = await copyOfCore();
    const older = Object.defineProperty(new Error('x'), Symbol.for('watch-proxy.error'), { value: true });
    expect(older instanceof core.WatchProxyError).toBe(true);
    expect(older instanceof core.SinkError).toBe(false);
  });
});
