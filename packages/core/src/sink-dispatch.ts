import type { DeltaEngine } from './delta/delta-engine.js';
import type { Admission } from './deliver/lane-backlog.js';
import type { SinkSlot } from './deliver/sink-slot.js';
import type { Judgement } from './route/endpoint-expressions.js';
import type { Change, OutsideReason } from './types.js';
import type { ResolvedResource } from './watch/watch-event.js';

/** The delta engine's rules about the event an endpoint would receive (`DeltaEngine.admit` and `reshape`). */
export type EventRules = Pick<DeltaEngine, 'admit' | 'reshape'>;

/**
 * What `slot`'s endpoint may receive of `resource`, decided on the event it would receive (see `Admission`):
 * its route, then `ignoreNamespaces`, `filterEvents` and the add delay; a delete the lane built from the
 * endpoint's emit cache is shaped by today's `pruneFields` and redaction. The configuration may have changed
 * since the object was delivered (a reload or restart), so none of this can be assumed from the cache.
 */
export function sinkAdmission(slot: SinkSlot, resource: ResolvedResource, rules: EventRules): Admission {
  const expressions = slot.expressions;
  return (change) => {
    if (!slot.route.matches(change, resource)) return 'unrouted';
    const refused = rules.admit(resource, change);
    if (refused !== undefined) return refused;
    if (change.event === 'update' && expressions?.judgesUpdates === true) {
      const unwanted = expressions.admitUpdate(change, slot.lane.lastState(change.key), resource);
      if (unwanted !== undefined) return unwanted;
    }
    // A transformed state is the sink's own data, not an object to prune and redact.
    if (change.event !== 'delete' || change.synthesized === undefined || expressions?.transforms === true) return change;
    return rules.reshape(resource, change);
  };
}

/**
 * Hands a change to every slot it is routed to: offered as the endpoint receives it (its transform), or withdrawn
 * when the object is outside the endpoint's set (`inSet`: the resource's filter; then the endpoint's own). A delete
 * the watch source synthesized carries no state to judge (the watcher keeps only names, uids and
 * resourceVersions): each endpoint that holds the object gets its delete from the state it was last sent.
 * `resourceFiltered`: the resource has a `filter`, so its objects enter and leave every endpoint's set.
 */
export function dispatchChange(
  slots: readonly SinkSlot[],
  resource: ResolvedResource,
  change: Change,
  inSet: true | OutsideReason,
  resourceFiltered: boolean,
  rules: EventRules,
): void {
  for (const slot of slots) {
    if (!slot.route.matches(change, resource)) continue;
    const admit = sinkAdmission(slot, resource, rules);
    if (change.event === 'delete' && change.synthesized !== undefined) {
      slot.lane.retract(change, admit);
      continue;
    }
    const judged: Judgement =
      slot.expressions !== undefined ? slot.expressions.judge(change, resource, inSet) : inSet === true ? { kind: 'offer', change } : { kind: 'withdraw', reason: inSet };
    if (judged.kind === 'withdraw') slot.lane.withdraw(change, judged.reason, admit);
    else slot.lane.offer(judged.change, admit, { entersSet: resourceFiltered || slot.expressions?.filters === true });
  }
}
