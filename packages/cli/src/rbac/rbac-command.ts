/**
 * `watch-proxy rbac -c FILE`: prints the least-privilege Roles/ClusterRole and bindings a config needs, as YAML
 * for `kubectl apply -f -`. Exit 0 printed, 2 when the file is invalid or names a resource whose API group only
 * discovery could tell (a CRD's bare plural).
 */
import { formatDiagnostic, loadConfigFile } from '../config/index.js';
import type { TextSink } from '../config/index.js';
import { accessPlan } from './access-rules.js';
import { rbacObjects, rbacYaml } from './rbac-manifests.js';

/** Options of {@link runRbac}. */
export interface RbacCommandOptions {
  /** Path of the config file. */
  readonly config: string;
  /** Name of the ServiceAccount, roles and bindings. Default `watch-proxy`. */
  readonly name: string;
  /** Namespace the daemon runs in. Default `watch-proxy`. */
  readonly namespace: string;
  /** Receives the YAML. */
  readonly stdout: TextSink;
  /** Receives the config's problems. */
  readonly stderr: TextSink;
}

/** Prints the RBAC of a config file; resolves to the exit code, 0 or 2. */
export async function runRbac(options: RbacCommandOptions): Promise<0 | 2> {
  // The file's own rules only: RBAC does not depend on credentials or ports of the machine it is printed on.
  const loaded = await loadConfigFile(options.config, { checkEnvironment: false });
  if (!loaded.ok) {
    for (const diagnostic of loaded.errors) options.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    options.stderr.write(`${options.config}: invalid (${String(loaded.errors.length)} error(s)); no RBAC printed\n`);
    return 2;
  }
  const plan = accessPlan(loaded.config, { daemonNamespace: options.namespace });
  if (plan.unresolved.length > 0) {
    for (const name of plan.unresolved) {
      options.stderr.write(
        `${options.config}: resources: ${JSON.stringify(name)} is not a built-in resource, so its API group is unknown without a cluster; write it as "plural.group" (e.g. "certificates.cert-manager.io")\n`,
      );
    }
    return 2;
  }
  const objects = rbacObjects(plan, { name: options.name, namespace: options.namespace });
  const header = [
    `# Least-privilege RBAC for ${options.config}, for the ServiceAccount ${options.namespace}/${options.name}`,
    '# (watch-proxy rbac; the Helm chart charts/watch-proxy renders the same rules). API discovery and the',
    '# start-up access check (SelfSubjectAccessReview) need no rule: every authenticated client may use them.',
  ];
  options.stdout.write(`${header.join('\n')}\n${objects.length === 0 ? '# (this config needs no access)\n' : rbacYaml(objects)}`);
  return 0;
}
