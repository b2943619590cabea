/**
 * The daemon's start-up access check: asks the apiserver (SelfSubjectAccessReview, which every authenticated
 * client may create) whether its identity has each access the config needs (the rules of `accessPlan`), and
 * names every missing rule with the YAML to add. It warns and goes on rather than exiting: a watch that is
 * forbidden is already reported (403 in the logs, `watch_proxy_watch_errors_total{kind="forbidden"}`, `/ready`)
 * while the other resources keep working, and a Role granted later takes effect without a restart.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient } from '@watch-proxy/core/kube';
import type { Logger } from '@watch-proxy/core';

import type { WatchProxyConfig } from '../config/index.js';
import { describeError } from '../describe-error.js';
import { accessPlan } from './access-rules.js';
import type { PolicyRule } from './access-rules.js';
import { ruleYaml } from './rbac-manifests.js';

/** One access the daemon needs: a verb on a resource, in a namespace (or cluster-wide), maybe on one object. */
export interface AccessNeed {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  /** Absent: cluster-wide (a ClusterRole). */
  readonly namespace?: string | undefined;
  /** Absent: any object of the resource. */
  readonly name?: string | undefined;
  /** The rule that grants it, as written by `watch-proxy rbac`. */
  readonly rule: PolicyRule;
}

/** A need the apiserver did not allow. */
export interface MissingAccess extends AccessNeed {
  /** The authorizer's reason, when it gave one. */
  readonly reason?: string | undefined;
}

/** Every single access in `plan`'s rules, with the rule it comes from. */
export function accessNeeds(config: WatchProxyConfig, daemonNamespace: string, dryRun: boolean): AccessNeed[] {
  const plan = accessPlan(config, { daemonNamespace, dryRun });
  const expand = (rule: PolicyRule, namespace: string | undefined): AccessNeed[] =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.flatMap((verb) =>
          (rule.resourceNames ?? [undefined]).map((name) => ({ verb, group, resource, namespace, name, rule })),
        ),
      ),
    );
  const needs: AccessNeed[] = [];
  if (plan.watch.scope === 'cluster') needs.push(...plan.watch.rules.flatMap((rule) => expand(rule, undefined)));
  else for (const [ns, rules] of plan.watch.byNamespace) needs.push(...rules.flatMap((rule) => expand(rule, ns)));
  for (const [ns, rules] of plan.state) needs.push(...rules.flatMap((rule) => expand(rule, ns ?? daemonNamespace)));
  needs.push(...plan.identity.flatMap((rule) => expand(rule, undefined)));
  return needs;
}

interface AccessReview {
  readonly status?: { readonly allowed?: boolean; readonly reason?: string };
}

/** Asks the apiserver about each need (in parallel); resolves to those not allowed. */
export async function findMissingAccess(kubeConfig: KubeConfig, needs: readonly AccessNeed[], timeoutMs = 10_000): Promise<MissingAccess[]> {
  const client = new KubeJsonClient(kubeConfig);
  const answers = await Promise.all(
    needs.map(async (need) => {
      const review = await client.request<AccessReview>({
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: need.verb, group: need.group, resource: need.resource, namespace: need.namespace, name: need.name } },
        },
        timeoutMs,
      });
      return review.status?.allowed === true ? undefined : { ...need, reason: review.status?.reason || undefined };
    }),
  );
  return answers.filter((a) => a !== undefined);
}

/** A person's sentence for one missing access and where its rule goes. */
export function describeMissing(missing: MissingAccess): string {
  const what = `${missing.verb} ${missing.resource}${missing.group === '' ? '' : `.${missing.group}`}${missing.name === undefined ? '' : ` named ${missing.name}`}`;
  const where = missing.namespace === undefined ? 'cluster-wide (a ClusterRole)' : `in namespace ${missing.namespace} (a Role there)`;
  return `may not ${what} ${where}`;
}

/**
 * Checks the daemon's access for `config` and logs one warning per missing rule, with the rule's YAML; one info
 * line when all is granted. Never throws: a failed review (an apiserver that cannot be reached yet, an authorizer
 * that refuses reviews) is logged once and the daemon goes on.
 */
export async function reportMissingAccess(options: {
  readonly config: WatchProxyConfig;
  readonly kubeConfig: KubeConfig;
  readonly daemonNamespace: string;
  readonly dryRun: boolean;
  readonly logger: Logger;
}): Promise<readonly MissingAccess[] | undefined> {
  let needs: AccessNeed[];
  let missing: MissingAccess[];
  try {
    needs = accessNeeds(options.config, options.daemonNamespace, options.dryRun);
    if (needs.length === 0) return [];
    missing = await findMissingAccess(options.kubeConfig, needs);
  } catch (error) {
    options.logger.warn({ err: describeError(error) }, 'access check: could not ask the apiserver (SelfSubjectAccessReview); skipped');
    return undefined;
  }
  // One warning per rule, naming each access of it that is missing.
  const byRule = new Map<PolicyRule, MissingAccess[]>();
  for (const m of missing) byRule.set(m.rule, [...(byRule.get(m.rule) ?? []), m]);
  for (const [rule, list] of byRule) {
    options.logger.warn(
      { missing: list.map(describeMissing), rule: ruleYaml(rule).trimEnd() },
      `access check: ${describeMissing(list[0]!)}${list.length > 1 ? ` (and ${String(list.length - 1)} more of this rule)` : ''}; add the rule in "rule" to a role bound to its ServiceAccount ("watch-proxy rbac -c <config>" prints them all)`,
    );
  }
  if (missing.length === 0) options.logger.info({ checked: needs.length }, 'access check: every access the config needs is granted');
  return missing;
}
