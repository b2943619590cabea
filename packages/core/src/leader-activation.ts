import type { SharedCacheStore } from './cache/cluster-store.js';
import type { SinkSlot } from './deliver/sink-slot.js';
import { InternalError, StateError, type WatchProxyError } from './errors.js';
import type { DeliveryGate } from './leader/delivery-gate.js';
import type { Logger } from './logger.js';
import type { KubeObject } from './types.js';
import type { ResolvedResource } from './watch/watch-event.js';

/** What a `LeaderActivation` drives and asks the composition root for. */
export interface LeaderActivationOptions {
  readonly gate: DeliveryGate;
  /** Where the leader loads what the receivers hold from on taking over; undefined: none. */
  readonly sharedCache: SharedCacheStore | undefined;
  readonly slots: readonly SinkSlot[];
  readonly logger: Logger;
  /** True once shutdown began: transitions then change nothing. */
  readonly stopping: () => boolean;
  /**
   * The watch source's current objects per resource; undefined when it cannot give them (the default watch source
   * keeps no objects in memory: `relistAll` instead).
   */
  readonly snapshot: () => readonly { readonly resource: ResolvedResource; readonly objects: readonly KubeObject[] }[] | undefined;
  /**
   * Asks the watch source to list every resource again and hand every object to the pipeline, then reconcile
   * (reason `restart`) once each list is complete (`WatchSource.replay`); false when it cannot.
   */
  readonly relistAll: () => boolean;
  /** Feeds one current object through the pipeline again (a resync update). */
  readonly replay: (resource: ResolvedResource, object: KubeObject) => void;
  /** Reconciles every slot against a complete list of `resource` (reason `restart`); returns the deletes queued. */
  readonly reconcile: (resource: ResolvedResource, objects: readonly KubeObject[]) => number;
  readonly onStateError: (error: StateError) => void;
  readonly report: (error: WatchProxyError) => void;
}

/**
 * Follows a `DeliveryGate` for the slots: standing down (the gate closes) stops the shared-cache writers and makes
 * the lanes standbys at once; taking over (it opens) loads the shared cache, resumes the lanes and sends what the
 * receivers miss. Transitions are serialized; a takeover overtaken by a later transition gives up.
 */
export class LeaderActivation {
  readonly #o: LeaderActivationOptions;
  /** Bumped on every gate transition: an activation still loading the shared cache gives up when it moved. */
  #epoch = 0;
  #activating: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: LeaderActivationOptions) {
    this.#o = options;
  }

  /** Follows the gate from now on; when it is open already, resolves once delivery is taken over. */
  async start(): Promise<void> {
    const gate = this.#o.gate;
    this.#unsubscribe = gate.onChange((open) => this.#onGate(open));
    if (gate.open) {
      // start() resolves with delivery taken over, so a leader is active from its first event on.
      this.#onGate(true);
      await this.#activating;
    }
  }

  /** Stops following the gate and waits for a takeover in progress to finish (or give up). */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#activating;
  }

  /** Gate transitions. Standing down is synchronous: every attempt in flight is aborted before this returns. */
  #onGate(open: boolean): void {
    this.#epoch++;
    if (this.#o.stopping()) return;
    if (!open) {
      for (const slot of this.#o.slots) {
        slot.writer?.stop();
        slot.lane.setActive(false);
      }
      this.#o.logger.info({}, 'standby: delivering nothing, watches kept warm');
      return;
    }
    const epoch = this.#epoch;
    const previous = this.#activating ?? Promise.resolve();
    this.#activating = previous.then(() => this.#activate(epoch)).catch((error: unknown) => {
      this.#o.report(new InternalError('taking over delivery failed', { cause: error }));
    });
  }

  /**
   * Takes over delivery: loads what the receivers hold from the shared cache (when there is one), then
   * resumes the lanes (which queue the deletes remembered while standby), replays every current object (only
   * what differs from the loaded cache is queued) and reconciles (cached objects that are gone are deleted).
   */
  async #activate(epoch: number): Promise<void> {
    const { sharedCache: shared, slots, logger } = this.#o;
    const loaded = await Promise.all(
      slots.map(async (slot) => {
        if (shared === undefined) return undefined;
        try {
          return await shared.load(slot.sink.name);
        } catch (error) {
          this.#o.onStateError(
            new StateError('WP_ERR_STATE_LOAD', `loading the shared emit cache of sink "${slot.sink.name}" failed: ${(error as Error).message}`, { cause: error }),
          );
          return undefined;
        }
      }),
    );
    // Only a later transition (or shutdown) cancels the takeover. A gate that merely reads closed now (its renew
    // deadline passed while the load ran) may read open again with no transition, when the renewal that began
    // before the deadline succeeds: giving up then would leave the lanes standby while this replica holds the
    // Lease. Activated lanes send nothing while it reads closed, and a real stand-down is a transition.
    if (epoch !== this.#epoch || this.#o.stopping()) return;
    slots.forEach((slot, i) => {
      const entries = loaded[i];
      if (entries === undefined) return;
      slot.cache.clear();
      for (const [key, entry] of entries) slot.cache.restore(key, entry);
    });
    for (const slot of slots) slot.lane.setActive(true);
    const snapshot = this.#o.snapshot();
    let deletes = 0;
    if (snapshot === undefined) {
      // The deletes a relist finds are counted as its lists complete (the `synced` event), not here.
      if (this.#o.relistAll()) logger.info({}, 'relisting every resource to send what the receivers miss');
      else logger.warn({}, 'the watch source cannot replay its objects: only changes from now on are sent');
    } else {
      for (const { resource, objects } of snapshot) {
        for (const object of objects) this.#o.replay(resource, object);
        deletes += this.#o.reconcile(resource, objects);
      }
    }
    for (const slot of slots) slot.writer?.start();
    logger.info({ sharedCache: shared !== undefined, deletes }, 'leader: delivering what the receivers miss');
  }
}
