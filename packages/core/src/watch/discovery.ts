import type { KubeConfig } from '@kubernetes/client-node';
import type { ResourceRef } from '../types.js';
import { WatchError } from '../kube/kube-api-error.js';
import { KubeTransport } from '../kube/kube-transport.js';
import type { ResolvedResource } from './watch-event.js';
import { setLongTimeout } from '../internal/long-timeout.js';

/**
 * The original Watch-Proxy's nine resource names and the API group they live in today. Versions still come from
 * discovery (the server's preferred one). `ingresses` moved from `extensions/v1beta1` to `networking.k8s.io`.
 */
export const LEGACY_RESOURCE_GROUPS: Readonly<Record<string, string>> = Object.freeze({
  nodes: '',
  namespaces: '',
  pods: '',
  services: '',
  configmaps: '',
  secrets: '',
  deployments: 'apps',
  replicasets: 'apps',
  ingresses: 'networking.k8s.io',
});

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs?: readonly string[];
  readonly singularName?: string;
  readonly shortNames?: readonly string[];
}

interface ApiGroup {
  readonly name: string;
  readonly versions: readonly { readonly version: string }[];
  readonly preferredVersion?: { readonly version: string };
}

/** Options of `resolveResources`. */
export interface ResolveOptions {
  /** Abort discovery after this long, per request. Default: 30,000 ms. */
  readonly timeoutMs?: number | undefined;
}

const CORE_VERSION = /^v\d+((alpha|beta)\d+)?$/;

/**
 * Resolves configured resource names through API discovery. A name may be:
 * - a plural (`pods`, `certificates`): the core group first, then the original tool's group for its nine names,
 *   then every group in the server's order;
 * - `plural.group` (`certificates.cert-manager.io`, `ingresses.networking.k8s.io`): the group's preferred version,
 *   else any version that serves the resource;
 * - `group/version/plural` (`networking.k8s.io/v1/ingresses`) or `version/plural` for the core group (`v1/pods`).
 *
 * Only resources that support `list` and `watch` resolve. Rejects with a `WatchError` of kind `not-found`
 * (listing every unknown name) when a name does not exist (yet), or with the discovery failure.
 */
export async function resolveResources(
  kubeConfig: KubeConfig,
  names: readonly string[],
  options: ResolveOptions = {},
): Promise<ResolvedResource[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { discovery, created } = sharedDiscovery(kubeConfig, timeoutMs);
  const resolved: ResolvedResource[] = [];
  let missing = await resolveInto(discovery, names, resolved);
  if (missing.length > 0 && !created) {
    // A shared answer may predate a CRD installed since: "unknown" is only said on an answer asked for now.
    missing = await resolveInto(refreshedDiscovery(kubeConfig, timeoutMs, discovery), missing, resolved);
  }
  if (missing.length > 0) {
    throw new WatchError('not-found', `unknown resource${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (not served by the apiserver)`);
  }
  return resolved;
}

/** Appends what `discovery` resolves of `names` to `resolved`; returns the names it does not know. */
async function resolveInto(discovery: Discovery, names: readonly string[], resolved: ResolvedResource[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const ref = await discovery.resolve(name);
    if (ref === undefined) missing.push(name);
    else resolved.push({ name, ref });
  }
  return missing;
}

/** Resolves one name; see `resolveResources`. */
export async function resolveResource(kubeConfig: KubeConfig, name: string, options: ResolveOptions = {}): Promise<ResolvedResource> {
  const [resolved] = await resolveResources(kubeConfig, [name], options);
  return resolved!;
}

/**
 * How long one discovery's answers are shared, in ms, from its creation. Every resource's watcher resolves its
 * name when the pipeline starts: sharing makes that one walk of the API for all of them instead of one each
 * (10,000 resources made 10,000 walks, 2.4 GB). Short, so a re-resolution after a 404 (a CRD re-created with
 * another version) or a retry for a CRD not installed yet sees the server's current answer within seconds.
 */
export const DISCOVERY_SHARE_MS = 5000;

const shared = new WeakMap<KubeConfig, { readonly discovery: Discovery; readonly timeoutMs: number; readonly createdAt: number }>();

/**
 * The discovery shared by every resolution against `kubeConfig` in the current window (see DISCOVERY_SHARE_MS);
 * `created` when this call started it (its answers are being asked for now).
 */
function sharedDiscovery(kubeConfig: KubeConfig, timeoutMs: number): { readonly discovery: Discovery; readonly created: boolean } {
  const now = Date.now();
  const current = shared.get(kubeConfig);
  if (current !== undefined && current.timeoutMs === timeoutMs && now - current.createdAt < DISCOVERY_SHARE_MS) return { discovery: current.discovery, created: false };
  return { discovery: startDiscovery(kubeConfig, timeoutMs, now), created: true };
}

/**
 * A discovery newer than `stale`: the shared one if another resolution already replaced `stale`, else a new one
 * that replaces it, so resolutions missing names together share one new walk instead of one each.
 */
function refreshedDiscovery(kubeConfig: KubeConfig, timeoutMs: number, stale: Discovery): Discovery {
  const current = shared.get(kubeConfig);
  if (current !== undefined && current.discovery !== stale && current.timeoutMs === timeoutMs) return current.discovery;
  return startDiscovery(kubeConfig, timeoutMs, Date.now());
}

function startDiscovery(kubeConfig: KubeConfig, timeoutMs: number, now: number): Discovery {
  const discovery = new Discovery(new KubeTransport(kubeConfig), timeoutMs);
  shared.set(kubeConfig, { discovery, timeoutMs, createdAt: now });
  return discovery;
}

/** Discovery requests with a memo (each endpoint asked at most once while the instance is shared). */
class Discovery {
  readonly #transport: KubeTransport;
  readonly #timeoutMs: number;
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(transport: KubeTransport, timeoutMs: number) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
  }

  async resolve(name: string): Promise<ResourceRef | undefined> {
    const parts = name.split('/');
    if (parts.length === 3) return await this.#inVersion(parts[0]!, parts[1]!, parts[2]!);
    if (parts.length === 2) {
      if (!CORE_VERSION.test(parts[0]!)) return undefined;
      return await this.#inVersion('', parts[0]!, parts[1]!);
    }
    const dot = name.indexOf('.');
    if (dot > 0) return await this.#inGroup(name.slice(dot + 1), name.slice(0, dot));
    const core = await this.#inVersion('', 'v1', name);
    if (core !== undefined) return core;
    const legacy = LEGACY_RESOURCE_GROUPS[name];
    if (legacy !== undefined && legacy !== '') {
      const found = await this.#inGroup(legacy, name);
      if (found !== undefined) return found;
    }
    for (const group of await this.#groups()) {
      const found = await this.#inGroup(group.name, name, group);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async #inGroup(groupName: string, plural: string, known?: ApiGroup): Promise<ResourceRef | undefined> {
    const group = known ?? (await this.#groups()).find((g) => g.name === groupName);
    if (group === undefined) return undefined;
    const preferred = group.preferredVersion?.version;
    const versions = [...(preferred === undefined ? [] : [preferred]), ...group.versions.map((v) => v.version).filter((v) => v !== preferred)];
    for (const version of versions) {
      const found = await this.#inVersion(group.name, version, plural);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async #inVersion(group: string, version: string, plural: string): Promise<ResourceRef | undefined> {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const list = (await this.#get(path, true)) as { resources?: ApiResource[] } | undefined;
    const wanted = plural.toLowerCase();
    const found = list?.resources?.find(
      (r) => !r.name.includes('/') && (r.name === wanted || r.singularName === wanted || (r.shortNames ?? []).includes(wanted)),
    );
    if (found === undefined) return undefined;
    const verbs = found.verbs ?? [];
    if (!verbs.includes('list') || !verbs.includes('watch')) return undefined;
    return { group, version, resource: found.name, kind: found.kind, namespaced: found.namespaced };
  }

  async #groups(): Promise<readonly ApiGroup[]> {
    const list = (await this.#get('/apis', false)) as { groups?: ApiGroup[] } | undefined;
    return list?.groups ?? [];
  }

  async #get(path: string, notFoundIsEmpty: boolean): Promise<unknown> {
    let pending = this.#memo.get(path);
    if (pending === undefined) {
      pending = this.#fetch(path, notFoundIsEmpty);
      this.#memo.set(path, pending);
      // A failure is not shared: the next resolution (a watcher's retry) asks the server again.
      pending.catch(() => this.#memo.delete(path));
    }
    return await pending;
  }

  async #fetch(path: string, notFoundIsEmpty: boolean): Promise<unknown> {
    const controller = new AbortController();
    const timer = setLongTimeout(() => controller.abort(new WatchError('watchdog', `discovery ${path} timed out`, { watchdog: 'list' })), this.#timeoutMs);
    try {
      const res = await this.#transport.open(path, {}, controller.signal);
      const parts: Buffer[] = [];
      for await (const chunk of res as AsyncIterable<Buffer>) parts.push(chunk);
      return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
    } catch (err) {
      // A group/version that is gone (a CRD removed between calls) simply has no resources.
      if (notFoundIsEmpty && err instanceof WatchError && err.kind === 'not-found') return undefined;
      if (controller.signal.aborted && controller.signal.reason instanceof WatchError) throw controller.signal.reason;
      throw err;
    } finally {
      timer.clear();
    }
  }
}
