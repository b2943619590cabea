import type { WatchProxyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { KubeObject } from '../types.js';
import type { WatcherHealth } from './resource-watcher.js';
import type { ResolvedResource, WatchHandlers } from './watch-event.js';

/** A resource as handed to the watch source. */
export interface WatchedResource {
  readonly name: string;
  /** 0 = no resync. */
  readonly resyncMs: number;
  /** 0 = no periodic relist against the server. */
  readonly reconcileMs: number;
  /** List through a streaming watch (KEP-3157) instead of pages, falling back to pages where the server cannot. */
  readonly streamingList: boolean;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Absent: cluster-wide. */
  readonly namespaces?: readonly string[];
  /**
   * Whether changes carry `metadata.managedFields`. When false (the default) the delta engine leaves them out,
   * so a source may drop them as objects arrive: they are ~1/3 of a typical object's size in memory.
   */
  readonly includeManagedFields: boolean;
}

/** Handed to a `WatchSourceFactory`. */
export interface WatchSourceInit {
  /** The validated resources, in configuration order. */
  readonly resources: readonly WatchedResource[];
  readonly logger: Logger;
  /** Report a watch failure (the source keeps retrying on its own). */
  readonly onError: (error: WatchProxyError, resource: string) => void;
}

/** Lists and watches the configured resources and feeds the pipeline through `handlers`. */
export interface WatchSource {
  /**
   * Starts every watch. Resolves once each resource's first complete list was handed to `handlers` (or it
   * cannot be watched right now and is being retried). Called once.
   */
  start(handlers: WatchHandlers): Promise<void>;
  /** Stops every watch; no handler is called afterwards. May be called before `start()` settled. */
  stop(): Promise<void>;
  /** Per-resource health (readiness, staleness, errors) for probes and metrics. Optional. */
  health?(): readonly WatcherHealth[];
  /**
   * The objects each resolved resource holds now, as last handed to `handlers`: what a standby replays when it
   * becomes the leader. Optional; without it a new leader only sends what changes after it took over.
   */
  snapshot?(): readonly { readonly resource: ResolvedResource; readonly objects: readonly KubeObject[] }[];
  /**
   * Lists every resource again and hands every listed object to `handlers` (what changed as usual, unchanged
   * objects as `update`s with `resync: true`), then `onSynced` per resource: how a standby that becomes the leader
   * replays a source without `snapshot` (the default one keeps no objects in memory). Optional.
   */
  replay?(): void;
}

/** Creates the watch stage. The default watches Kubernetes through `kubeConfig`; tests pass a `FakeSource`. */
export type WatchSourceFactory = (init: WatchSourceInit) => WatchSource;
