import { isOwnState, type OwnStatePredicate } from '../internal/own-state.js';
import { encodeCanonicalJson, encodeKeySortedJson, fingerprintOfCanonical } from '../payload/canonical-json.js';
import type { ExpressionRule } from '../expression/expression-rule.js';
import type { Change, ChangeEvent, DropReason, KubeObject, OutsideReason } from '../types.js';
import type { ResolvedResource, WatchEvent } from '../watch/watch-event.js';
import { namespaceAndName, objectKey } from '../watch/object-key.js';
import { ObjectTooDeepError, compileProjection, project, type Projection } from './projection.js';
import type { PrunePath } from './prune.js';
import type { RedactionOptions } from './redact.js';

/** A resource's delta settings, already parsed (see `ResourceOptions` for the user-facing form). */
export interface DeltaResourceSettings extends RedactionOptions {
  readonly assetId: string;
  readonly prunePaths: readonly PrunePath[];
  readonly filterEvents: ReadonlySet<ChangeEvent>;
  /**
   * Which objects of the resource are reported (`resources[].filter`), over `object` as it goes on the wire.
   * Default: all.
   */
  readonly filter?: ExpressionRule | undefined;
}

/** Settings of the whole engine. */
export interface DeltaEngineSettings {
  /** Prefix of every `uniqueId` (`<clusterName>-<uid>`). */
  readonly clusterName: string;
  /** Exact namespace names whose objects (and the Namespace objects themselves) are dropped. */
  readonly ignoreNamespaces: ReadonlySet<string>;
  /**
   * For this long after a resource's watch started, ms, adds are dropped (the original's behaviour): by `admit`,
   * so only what an endpoint would receive as an add, not a re-seen object it has, which it receives as an update.
   */
  readonly delayAddEventMs: number;
  readonly resources: ReadonlyMap<string, DeltaResourceSettings>;
  readonly now: () => number;
  /** True for a ConfigMap that is watch-proxy's own state store (`SharedCacheStore.owns`). Default: none is. */
  readonly ownState?: OwnStatePredicate | undefined;
}

/** What the engine made of one watch event. */
export type DeltaOutcome =
  /**
   * `inSet`: whether the object matches the resource's `filter` (true without one), or why not. An object outside
   * is still a change: an endpoint that holds it must hear that it left.
   */
  | { readonly kind: 'change'; readonly change: Change; readonly inSet: true | OutsideReason }
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly key: string };

interface Prepared {
  readonly resource: string;
  readonly object: Readonly<Record<string, unknown>>;
  readonly fingerprint: string;
}

const DEFAULT_SETTINGS: DeltaResourceSettings = Object.freeze({
  assetId: '',
  prunePaths: [],
  filterEvents: new Set<ChangeEvent>(),
  includeSecretData: false,
  includeManagedFields: false,
});

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Whether `object` matches a resource's filter (always without one), or why not. */
function inSet(filter: ExpressionRule | undefined, object: KubeObject, key: string): true | OutsideReason {
  if (filter === undefined) return true;
  const verdict = filter.verdict({ object }, key);
  return verdict === true ? true : verdict === 'error' ? 'filter-error' : 'filtered';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Stage 2 of the pipeline: turns a raw watch event into a `Change` (filtered, redacted, pruned, `uniqueId`
 * injected, fingerprinted, deep-frozen) or a counted drop. The change's object is a copy whose map keys are in
 * sorted order (the canonical order, so its fingerprint text comes from the native `JSON.stringify`). Pure
 * apart from the add-delay clock; holds no per-object state (only one compiled projection per resource), so
 * memory does not grow with the number of objects.
 */
export class DeltaEngine {
  readonly #settings: DeltaEngineSettings;
  readonly #watchStartedAt = new Map<string, number>();
  // Compiled per resource name, checked against the settings and kind it was compiled for.
  readonly #projections = new Map<string, { settings: DeltaResourceSettings; secrets: boolean; projection: Projection }>();
  // Work done ahead by `prepare`, per source object and resource: taken (and forgotten) by `process`.
  readonly #prepared = new WeakMap<object, Prepared>();

  constructor(settings: DeltaEngineSettings) {
    this.#settings = settings;
  }

  /** Marks when a resource's watch started: the add delay counts from here. Defaults to the first event. */
  markWatchStarted(resource: string, at: number = this.#settings.now()): void {
    this.#watchStartedAt.set(resource, at);
  }

  /** Processes one event. Never throws for any object shape. */
  process(resource: ResolvedResource, event: WatchEvent): DeltaOutcome {
    const source = event.object;
    // Taken first, so that work prepared for an event that is then dropped is not kept alive with the object.
    const prepared = this.#prepared.get(source);
    if (prepared !== undefined) this.#prepared.delete(source);
    const metadata = record(source['metadata']);
    const { namespace, name } = namespaceAndName(source);
    const key = objectKey(resource.name, source);
    const excluded = this.#excluded(resource, source, metadata, name, namespace);
    if (excluded !== undefined) return { kind: 'dropped', reason: excluded, key };

    const settings = this.#settings.resources.get(resource.name) ?? DEFAULT_SETTINGS;
    // An add reaches an endpoint that already has the object (a relist, a restart) as an update, so whether it is
    // filtered or delayed is decided per endpoint by `admit`; here only what no endpoint can receive is dropped.
    const { filterEvents } = settings;
    if (event.type === 'add' ? filterEvents.has('add') && filterEvents.has('update') : filterEvents.has(event.type)) {
      return { kind: 'dropped', reason: 'filtered-event', key };
    }

    // One copy does what the original did in steps: drop kind/apiVersion (watch events carry them and list
    // items do not; the original never sent them, its typed decoder cleared TypeMeta, and keeping them would
    // give one unchanged object two fingerprints, so a relist or restart would re-send what a watch had
    // delivered), redact, prune, then set metadata.uniqueId (after pruning, as the original: it cannot be
    // pruned away, only lost with all of metadata). The copy is deep-frozen with its keys sorted.
    const uid = text(metadata?.['uid']);
    const uniqueId = `${this.#settings.clusterName}-${uid}`;
    let done: Prepared;
    try {
      done = prepared?.resource === resource.name ? prepared : this.#project(resource, settings, source, uniqueId);
    } catch (error) {
      if (error instanceof ObjectTooDeepError) return { kind: 'dropped', reason: 'too-deep', key };
      throw error;
    }
    const { object, fingerprint } = done;

    const change: Change = {
      key,
      resource: resource.name,
      event: event.type,
      object,
      uid,
      namespace,
      name,
      assetId: settings.assetId,
      uniqueId,
      fingerprint,
      observedAt: this.#settings.now(),
      ...(event.synthesized === undefined ? {} : { synthesized: event.synthesized }),
    };
    // A synthesized delete carries the watcher's skeleton, not a state a filter could judge: each endpoint decides
    // from the state it was last sent (`SinkLane.retract`).
    const judged = event.type === 'delete' && event.synthesized !== undefined ? true : inSet(settings.filter, object, key);
    return { kind: 'change', change: Object.freeze(change), inSet: judged };
  }

  /**
   * Does the costly part of `process` ahead of time (projection and fingerprint), for an object that is about to
   * be processed: a listed object, while the rest of the list downloads. Objects `process` would drop are
   * skipped. Pure: no event, no count; if the object never reaches `process`, the work is garbage collected with
   * it. Never throws.
   */
  prepare(resource: ResolvedResource, source: KubeObject): void {
    const metadata = record(source['metadata']);
    const { namespace, name } = namespaceAndName(source);
    if (this.#excluded(resource, source, metadata, name, namespace) !== undefined) return;
    const settings = this.#settings.resources.get(resource.name) ?? DEFAULT_SETTINGS;
    const uniqueId = `${this.#settings.clusterName}-${text(metadata?.['uid'])}`;
    try {
      this.#prepared.set(source, this.#project(resource, settings, source, uniqueId));
    } catch (error) {
      // Too deep: `process` finds it again and counts the drop.
      if (!(error instanceof ObjectTooDeepError)) throw error;
    }
  }

  /**
   * Whether an endpoint may receive `change` as it would receive it: after the lane's rewrites (a re-seen add is
   * an update to an endpoint that has the object) or made up by the lane (a delete found missing by a relist or
   * restart, the delete of a re-created name). Checks `ignoreNamespaces` (the configuration may have changed
   * since the object was delivered), `filterEvents` on the event the endpoint would see, and
   * `delayAddEventDuration` for adds. Returns why not, or `undefined`. Pure apart from the add-delay clock.
   */
  admit(resource: ResolvedResource, change: Change): DropReason | undefined {
    const { ignoreNamespaces } = this.#settings;
    const isNamespaceObject = resource.ref.group === '' && resource.ref.resource === 'namespaces';
    if (ignoreNamespaces.has(change.namespace) || (isNamespaceObject && ignoreNamespaces.has(change.name))) return 'ignored-namespace';
    const settings = this.#settings.resources.get(resource.name) ?? DEFAULT_SETTINGS;
    if (settings.filterEvents.has(change.event)) return 'filtered-event';
    if (change.event === 'add' && this.#addDelayed(resource.name)) return 'add-delayed';
    return undefined;
  }

  /**
   * A delete the lane built from what an endpoint was last sent (its emit cache), shaped by the current settings:
   * pruned and redacted as the configuration says now (it may have changed since, by a reload or a restart).
   * `uniqueId` and `assetId` stay what the endpoint knows the object by. Never throws.
   */
  reshape(resource: ResolvedResource, change: Change): Change {
    const settings = this.#settings.resources.get(resource.name) ?? DEFAULT_SETTINGS;
    const { object } = this.#project(resource, settings, change.object, change.uniqueId);
    return Object.freeze({ ...change, object });
  }

  /** Why an object is never a change, whatever the event (the event-specific drops are `process`'s own). */
  #excluded(resource: ResolvedResource, source: KubeObject, metadata: Record<string, unknown> | undefined, name: string, namespace: string): DropReason | undefined {
    if (metadata === undefined || name === '') return 'invalid-object';
    if (isOwnState(resource, source, this.#settings.ownState)) return 'own-state';
    const { ignoreNamespaces } = this.#settings;
    const isNamespaceObject = resource.ref.group === '' && resource.ref.resource === 'namespaces';
    if (ignoreNamespaces.has(namespace) || (isNamespaceObject && ignoreNamespaces.has(name))) return 'ignored-namespace';
    return undefined;
  }

  #project(resource: ResolvedResource, settings: DeltaResourceSettings, source: KubeObject, uniqueId: string): Prepared {
    const projected = project(source, this.#projection(resource, settings), uniqueId);
    const object = projected.object;
    const canonical = projected.keySorted ? encodeKeySortedJson(object) : encodeCanonicalJson(object);
    return { resource: resource.name, object, fingerprint: fingerprintOfCanonical(object, canonical) };
  }

  #projection(resource: ResolvedResource, settings: DeltaResourceSettings): Projection {
    const secrets = resource.ref.group === '' && resource.ref.resource === 'secrets';
    const cached = this.#projections.get(resource.name);
    if (cached !== undefined && cached.settings === settings && cached.secrets === secrets) return cached.projection;
    const projection = compileProjection(resource.ref, settings, settings.prunePaths);
    this.#projections.set(resource.name, { settings, secrets, projection });
    return projection;
  }

  #addDelayed(resource: string): boolean {
    const delay = this.#settings.delayAddEventMs;
    if (delay <= 0) return false;
    const now = this.#settings.now();
    let started = this.#watchStartedAt.get(resource);
    if (started === undefined) {
      started = now;
      this.#watchStartedAt.set(resource, now);
    }
    return now < started + delay;
  }
}
