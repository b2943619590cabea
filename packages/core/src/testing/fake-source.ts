import { objectKey } from '../watch/object-key.js';
import type { WatchSource, WatchSourceInit } from '../watch/watch-source.js';
import type { KubeObject, ResourceRef } from '../types.js';
import type { ResolvedResource, WatchEvent, WatchHandlers } from '../watch/watch-event.js';

// The built-in resources a test is likely to name; anything else resolves as `plural.group`, namespaced.
const BUILT_IN: Readonly<Record<string, Omit<ResourceRef, 'resource'>>> = {
  namespaces: { group: '', version: 'v1', kind: 'Namespace', namespaced: false },
  nodes: { group: '', version: 'v1', kind: 'Node', namespaced: false },
  pods: { group: '', version: 'v1', kind: 'Pod', namespaced: true },
  services: { group: '', version: 'v1', kind: 'Service', namespaced: true },
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap', namespaced: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', namespaced: true },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true },
  ingresses: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', namespaced: true },
};

/** Resolves a configured name without a cluster: built-ins by table, `plural.group` by splitting. */
export function fakeResolve(name: string): ResolvedResource {
  const known = BUILT_IN[name];
  if (known !== undefined) return { name, ref: { ...known, resource: name } };
  const dot = name.indexOf('.');
  const resource = dot < 0 ? name : name.slice(0, dot);
  return { name, ref: { group: dot < 0 ? '' : name.slice(dot + 1), version: 'v1', resource, kind: resource, namespaced: true } };
}

/**
 * A watch source driven by the test: `add`/`update`/`remove` feed events, `relist()` reports a complete list
 * (what a reconnect after a 410 or a restart does). Objects given to the constructor are the cluster's
 * state before `start()`, listed as `add`s. Use: `watchSource: fake.factory`.
 */
export class FakeSource implements WatchSource {
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  #handlers: WatchHandlers | undefined;
  #init: WatchSourceInit | undefined;
  #stopped = false;

  constructor(initial: Readonly<Record<string, readonly KubeObject[]>> = {}) {
    for (const [resource, objects] of Object.entries(initial)) for (const object of objects) this.#store(resource).set(objectKey(resource, object), object);
  }

  /** Pass as `WatchProxyOptions.watchSource`. */
  readonly factory = (init: WatchSourceInit): WatchSource => {
    this.#init = init;
    return this;
  };

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#handlers !== undefined && !this.#stopped;
  }

  async start(handlers: WatchHandlers): Promise<void> {
    this.#handlers = handlers;
    for (const resource of this.#init?.resources ?? []) this.relist(resource.name);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
  }

  add(resource: string, object: KubeObject): void {
    this.#store(resource).set(objectKey(resource, object), object);
    this.#emit(resource, { type: 'add', object });
  }

  update(resource: string, object: KubeObject): void {
    this.#store(resource).set(objectKey(resource, object), object);
    this.#emit(resource, { type: 'update', object });
  }

  remove(resource: string, object: KubeObject): void {
    const store = this.#store(resource);
    const last = store.get(objectKey(resource, object)) ?? object;
    store.delete(objectKey(resource, object));
    this.#emit(resource, { type: 'delete', object: last });
  }

  /** Changes the state without telling anyone (an event missed while disconnected or stopped). */
  silently(resource: string, change: { readonly set?: KubeObject; readonly remove?: KubeObject }): void {
    if (change.set !== undefined) this.#store(resource).set(objectKey(resource, change.set), change.set);
    if (change.remove !== undefined) this.#store(resource).delete(objectKey(resource, change.remove));
  }

  /** Lists `resource` again: every object as `add`, then `onSynced` with all of them. */
  relist(resource: string): void {
    const objects = [...this.#store(resource).values()];
    for (const object of objects) this.#emit(resource, { type: 'add', object });
    if (!this.#stopped) this.#handlers?.onSynced?.(fakeResolve(resource), objects);
  }

  /** Replays the current state as resync updates (forceReuploadDuration). */
  resync(resource: string): void {
    for (const object of this.#store(resource).values()) this.#emit(resource, { type: 'update', object, resync: true });
  }

  /** What each configured resource holds now (what a standby replays when it becomes the leader). */
  snapshot(): readonly { readonly resource: ResolvedResource; readonly objects: readonly KubeObject[] }[] {
    return (this.#init?.resources ?? []).map((r) => ({ resource: fakeResolve(r.name), objects: [...this.#store(r.name).values()] }));
  }

  #emit(resource: string, event: WatchEvent): void {
    if (this.#stopped) return;
    this.#handlers?.onEvent(fakeResolve(resource), event);
  }

  #store(resource: string): Map<string, KubeObject> {
    let store = this.#objects.get(resource);
    if (store === undefined) this.#objects.set(resource, (store = new Map()));
    return store;
  }
}
