import { fingerprintOf } from '../payload/canonical-json.js';
import type { ExpressionRule } from '../expression/expression-rule.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import type { Change, KubeObject, OutsideReason } from '../types.js';
import type { ResolvedResource } from '../watch/watch-event.js';

/**
 * What an endpoint makes of one change: `offer` it (as it will receive it: the transformed data when it has a
 * transform), or `withdraw` the object (it is outside the endpoint's set: a delete if the endpoint holds it,
 * else nothing, counted as `reason`).
 */
export type Judgement = { readonly kind: 'offer'; readonly change: Change } | { readonly kind: 'withdraw'; readonly reason: OutsideReason };

/** An endpoint's compiled expressions (all optional). */
export interface EndpointRules {
  /** Which objects the endpoint holds: over `object` and `resource`. */
  readonly filter?: ExpressionRule | undefined;
  /** Whether an update is worth sending: over `object`, `oldObject` and `resource`. */
  readonly updateFilter?: ExpressionRule | undefined;
  /** The data the endpoint receives instead of the object: over `object` and `resource`. */
  readonly transform?: ExpressionRule | undefined;
}

/**
 * Stage 3 for an endpoint with expressions: decides whether a change is in its set (the resource's filter,
 * already evaluated by the delta engine, then its own) and what it receives of it (its transform). Stateless; the
 * lane decides what "outside" means for what the endpoint holds.
 */
export class EndpointExpressions {
  readonly #rules: EndpointRules;

  constructor(rules: EndpointRules) {
    this.#rules = rules;
  }

  /** True when the endpoint receives transformed data: its emit cache holds that, not objects. */
  get transforms(): boolean {
    return this.#rules.transform !== undefined;
  }

  /** True when the sink holds a filtered set: objects enter and leave it. */
  get filters(): boolean {
    return this.#rules.filter !== undefined;
  }

  /** True when updates are judged against the last state sent (see `admitUpdate`). */
  get judgesUpdates(): boolean {
    return this.#rules.updateFilter !== undefined;
  }

  /**
   * The endpoint's judgement of `change`, given whether the resource's own filter let it through (`true`, or why
   * not). A delete is judged on the object's last state: outside the set, it only removes what the endpoint holds.
   */
  judge(change: Change, resource: ResolvedResource, inResource: true | OutsideReason): Judgement {
    if (inResource !== true) return { kind: 'withdraw', reason: inResource };
    const variables = { object: change.object, resource: resource.ref.resource };
    const filter = this.#rules.filter;
    if (filter !== undefined) {
      const verdict = filter.verdict(variables, change.key);
      if (verdict !== true) return { kind: 'withdraw', reason: verdict === 'error' ? 'filter-error' : 'filtered' };
    }
    const transform = this.#rules.transform;
    if (transform === undefined) return { kind: 'offer', change };
    const data = transform.project(variables, change.key);
    if (data === undefined) return { kind: 'withdraw', reason: 'filter-error' };
    const object = deepFreeze(data as KubeObject);
    return { kind: 'offer', change: Object.freeze({ ...change, object, fingerprint: fingerprintOf(object) }) };
  }

  /**
   * Whether an update is worth sending to the endpoint: its `updateFilter` over the update (as the endpoint
   * receives it) and `previous`, the last state it was sent. Without a previous state (nothing sent yet) or a
   * filter, yes. Returns the reason when not.
   */
  admitUpdate(change: Change, previous: KubeObject | undefined, resource: ResolvedResource): OutsideReason | undefined {
    const rule = this.#rules.updateFilter;
    if (rule === undefined || previous === undefined) return undefined;
    const verdict = rule.verdict({ object: change.object, oldObject: previous, resource: resource.ref.resource }, change.key);
    return verdict === true ? undefined : verdict === 'error' ? 'filter-error' : 'filtered';
  }
}
