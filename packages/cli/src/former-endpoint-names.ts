/**
 * Default endpoint names used to be the URL with its path (which may hold a webhook token); they are now the host
 * and a hash. The state persisted under a former name is taken over here, once, so an upgrade neither re-sends
 * every object nor forgets the deletes owed. Former names are never logged: they are what must not leak.
 */
import type { Logger } from '@watch-proxy/core';
import type { SharedCacheStore } from '@watch-proxy/core/cache';
import { adoptCacheFile } from '@watch-proxy/core/cache';

import type { RemoteEndpointConfig } from './config/index.js';

/** Current name → former name, for the endpoints that have one. */
function formerNames(endpoints: readonly RemoteEndpointConfig[]): ReadonlyMap<string, string> {
  return new Map(endpoints.flatMap((e) => (e.formerName === undefined ? [] : [[e.name, e.formerName] as const])));
}

/**
 * Renames each default-named endpoint's emit cache file from its former name, when only the former one exists.
 * A failed rename is a warning (the endpoint then starts with an empty cache and re-sends), never a failure.
 */
export function adoptFormerStateFiles(stateDir: string, endpoints: readonly RemoteEndpointConfig[], logger: Logger): void {
  for (const [name, former] of formerNames(endpoints)) {
    try {
      if (adoptCacheFile(stateDir, former, name) !== undefined) {
        logger.info({ sink: name }, 'took over the emit cache persisted under the name earlier versions gave this endpoint');
      }
    } catch (error) {
      // The code only: the message would carry the file name, which carries the former name.
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      logger.warn({ sink: name, err: code }, 'cannot take over the emit cache persisted under this endpoint\'s former name: it starts empty and re-sends every object');
    }
  }
}

/**
 * The shared (in-cluster) store, reading an endpoint's cache under its former name when none is stored under its
 * current name yet. Writes go to the current name only, so the first save completes the move. Everything else
 * is the store's own (a proxy, so members added to the store later are passed through too).
 */
export function withFormerNames(store: SharedCacheStore, endpoints: readonly RemoteEndpointConfig[]): SharedCacheStore {
  const former = formerNames(endpoints);
  if (former.size === 0) return store;
  const load: SharedCacheStore['load'] = async (sink) => {
    const current = await store.load(sink);
    const old = former.get(sink);
    return current !== undefined || old === undefined ? current : store.load(old);
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'load') return load;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the store itself: its methods use private fields, which a proxy as `this` would not have.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
