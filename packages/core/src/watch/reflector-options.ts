import type { Logger } from '../logger.js';
import type { KubeObject } from '../types.js';
import type { BackoffOptions } from './backoff.js';
import type { WatchError } from '../kube/kube-api-error.js';
import type { KubeTransport } from '../kube/kube-transport.js';
import type { ObjectStore } from './object-store.js';
import type { WatchdogBounds } from './request-guard.js';
import type { ResolvedResource, WatchEvent } from './watch-event.js';

/** Timeouts and pacing of a reflector. All durations in milliseconds unless the name says seconds. */
export interface ReflectorTiming extends WatchdogBounds {
  /** Objects per list page (`limit`). Default: 500. */
  readonly pageSize?: number | undefined;
  /** Server-side watch timeout (`timeoutSeconds`) is drawn from this range, in seconds. Default: [300, 600]. */
  readonly watchTimeoutSeconds?: readonly [min: number, max: number] | undefined;
  /** Retry delays. */
  readonly backoff?: BackoffOptions | undefined;
}

/** What a reflector needs from the watcher that owns it. */
export interface ReflectorDeps {
  readonly transport: KubeTransport;
  /** The resource; called before every list, so a re-resolved resource (a re-created CRD) is picked up. */
  readonly resource: () => ResolvedResource;
  /** Called after a 404, so the next attempt resolves the resource again. */
  readonly onNotFound?: () => Promise<void>;
  readonly namespace: string | undefined;
  readonly store: ObjectStore;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  /** Try a streaming list (`sendInitialEvents`) before falling back to a paginated list. */
  readonly streamingList: boolean;
  /** Remove `metadata.managedFields` from every object as it is parsed, before it is stored or emitted. */
  readonly dropManagedFields: boolean;
  readonly timing: ReflectorTiming;
  /** Wall clock, epoch ms: health timestamps, backoff reset, the very-short-watch check. */
  readonly now: () => number;
  /** Random source in [0, 1): the watch's `timeoutSeconds` draw, and the backoff jitter unless `timing.backoff` sets one. */
  readonly random: () => number;
  readonly logger: Logger;
  /** Hands one event to the handlers (isolation is the caller's job). Never called after `stop()`. */
  readonly emit: (event: WatchEvent) => void;
  /** Called for each new or changed listed object as it is read (see `WatchHandlers.onListItem`). Optional. */
  readonly onListItem?: ((object: KubeObject) => void) | undefined;
  /** Called after every complete list, once its events were emitted. */
  readonly onListed: (objects: readonly KubeObject[]) => void;
  /** Called when a list or watch failed (already logged). */
  readonly onError: (error: WatchError) => void;
  /** Called on every state change. */
  readonly onState: () => void;
}
