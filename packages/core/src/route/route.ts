import type { Change } from '../types.js';
import type { ResolvedResource } from '../watch/watch-event.js';

/** A sink's routing filters. An absent or empty list lets everything through. */
export interface RouteFilter {
  /**
   * Only objects in these namespaces (exact names). A Namespace object matches when its own name is listed;
   * other cluster-scoped objects (nodes) never match a non-empty list.
   */
  readonly namespaces?: readonly string[] | undefined;
  /**
   * Only these resources, named as configured (`certificates.cert-manager.io`), by plural (`services`), or as
   * `plural.group` (`deployments.apps`).
   */
  readonly resourceTypes?: readonly string[] | undefined;
}

/**
 * Stage 3: decides whether a change goes to one sink, by the object's real namespace and resource (the
 * original matched substrings of `selfLink`, which matched wrongly and vanished in Kubernetes 1.20).
 */
export class Route {
  readonly #namespaces: ReadonlySet<string> | undefined;
  readonly #resourceTypes: ReadonlySet<string> | undefined;

  constructor(filter: RouteFilter = {}) {
    this.#namespaces = filter.namespaces?.length ? new Set(filter.namespaces) : undefined;
    this.#resourceTypes = filter.resourceTypes?.length ? new Set(filter.resourceTypes) : undefined;
  }

  matches(change: Change, resource: ResolvedResource): boolean {
    const { ref } = resource;
    if (this.#namespaces !== undefined) {
      const isNamespaceObject = ref.group === '' && ref.resource === 'namespaces';
      const namespace = isNamespaceObject ? change.name : change.namespace;
      if (namespace === '' || !this.#namespaces.has(namespace)) return false;
    }
    if (this.#resourceTypes !== undefined) {
      const types = this.#resourceTypes;
      const qualified = ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
      if (!types.has(resource.name) && !types.has(ref.resource) && !types.has(qualified)) return false;
    }
    return true;
  }
}
