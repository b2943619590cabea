/**
 * The built-in Kubernetes resources a config may name by their bare plural, with their API group and scope: what
 * RBAC needs to know about a resource without asking a cluster (`watch-proxy rbac`, the Helm chart, which gets
 * this table as `charts/watch-proxy/files/kube-resources.json`). A test checks it against a real apiserver's
 * discovery. CRDs are named `plural.group` and need no entry.
 */

/** Where a built-in resource lives. */
export interface KubeResourceInfo {
  /** API group; `''` is the core group. */
  readonly group: string;
  /** Whether its objects live in namespaces (a Role can grant it) or are cluster-scoped (only a ClusterRole). */
  readonly namespaced: boolean;
}

const core = (namespaced: boolean): KubeResourceInfo => ({ group: '', namespaced });
const inGroup = (group: string, namespaced: boolean): KubeResourceInfo => ({ group, namespaced });

/**
 * Bare plural -> group and scope, for every built-in resource that supports list and watch, as the test apiserver (Kubernetes 1.37) serves them.
 * A plural served by two groups (`events`) maps to the one the daemon's discovery picks: the core group first.
 */
export const KUBE_RESOURCES: Readonly<Record<string, KubeResourceInfo>> = Object.freeze({
  configmaps: core(true),
  endpoints: core(true),
  events: core(true),
  limitranges: core(true),
  namespaces: core(false),
  nodes: core(false),
  persistentvolumeclaims: core(true),
  persistentvolumes: core(false),
  pods: core(true),
  podtemplates: core(true),
  replicationcontrollers: core(true),
  resourcequotas: core(true),
  secrets: core(true),
  serviceaccounts: core(true),
  services: core(true),
  mutatingadmissionpolicies: inGroup('admissionregistration.k8s.io', false),
  mutatingadmissionpolicybindings: inGroup('admissionregistration.k8s.io', false),
  mutatingwebhookconfigurations: inGroup('admissionregistration.k8s.io', false),
  validatingadmissionpolicies: inGroup('admissionregistration.k8s.io', false),
  validatingadmissionpolicybindings: inGroup('admissionregistration.k8s.io', false),
  validatingwebhookconfigurations: inGroup('admissionregistration.k8s.io', false),
  customresourcedefinitions: inGroup('apiextensions.k8s.io', false),
  apiservices: inGroup('apiregistration.k8s.io', false),
  controllerrevisions: inGroup('apps', true),
  daemonsets: inGroup('apps', true),
  deployments: inGroup('apps', true),
  replicasets: inGroup('apps', true),
  statefulsets: inGroup('apps', true),
  horizontalpodautoscalers: inGroup('autoscaling', true),
  cronjobs: inGroup('batch', true),
  jobs: inGroup('batch', true),
  certificatesigningrequests: inGroup('certificates.k8s.io', false),
  clustertrustbundles: inGroup('certificates.k8s.io', false),
  podcertificaterequests: inGroup('certificates.k8s.io', true),
  leases: inGroup('coordination.k8s.io', true),
  endpointslices: inGroup('discovery.k8s.io', true),
  flowschemas: inGroup('flowcontrol.apiserver.k8s.io', false),
  prioritylevelconfigurations: inGroup('flowcontrol.apiserver.k8s.io', false),
  ingressclasses: inGroup('networking.k8s.io', false),
  ingresses: inGroup('networking.k8s.io', true),
  ipaddresses: inGroup('networking.k8s.io', false),
  networkpolicies: inGroup('networking.k8s.io', true),
  servicecidrs: inGroup('networking.k8s.io', false),
  runtimeclasses: inGroup('node.k8s.io', false),
  poddisruptionbudgets: inGroup('policy', true),
  clusterrolebindings: inGroup('rbac.authorization.k8s.io', false),
  clusterroles: inGroup('rbac.authorization.k8s.io', false),
  rolebindings: inGroup('rbac.authorization.k8s.io', true),
  roles: inGroup('rbac.authorization.k8s.io', true),
  deviceclasses: inGroup('resource.k8s.io', false),
  resourceclaims: inGroup('resource.k8s.io', true),
  resourceclaimtemplates: inGroup('resource.k8s.io', true),
  devicetaintrules: inGroup('resource.k8s.io', false),
  resourceslices: inGroup('resource.k8s.io', false),
  priorityclasses: inGroup('scheduling.k8s.io', false),
  csidrivers: inGroup('storage.k8s.io', false),
  csinodes: inGroup('storage.k8s.io', false),
  csistoragecapacities: inGroup('storage.k8s.io', true),
  storageclasses: inGroup('storage.k8s.io', false),
  volumeattachments: inGroup('storage.k8s.io', false),
  volumeattributesclasses: inGroup('storage.k8s.io', false),
  storageversionmigrations: inGroup('storagemigration.k8s.io', false),
});

/** A config's resource name resolved without a cluster, enough for RBAC. */
export interface RbacResource {
  /** API group; `''` is the core group. */
  readonly group: string;
  readonly plural: string;
  /** From the table; `undefined` for a resource it does not know (a CRD), which may be cluster-scoped. */
  readonly namespaced: boolean | undefined;
}

const CORE_VERSION = /^v\d+((alpha|beta)\d+)?$/;

/**
 * Splits a config's resource name the way the daemon's discovery reads it: `group/version/plural`,
 * `version/plural` (core group), `plural.group`, or a bare built-in plural. Returns `undefined` for a bare plural
 * the table does not know: only discovery could say its group, so RBAC needs it written as `plural.group`.
 */
export function rbacResource(name: string): RbacResource | undefined {
  const parts = name.split('/');
  let group: string;
  let plural: string;
  if (parts.length === 3) [group, , plural] = parts as [string, string, string];
  else if (parts.length === 2) {
    if (!CORE_VERSION.test(parts[0]!)) return undefined;
    group = '';
    plural = parts[1]!;
  } else {
    const dot = name.indexOf('.');
    if (dot > 0) {
      group = name.slice(dot + 1);
      plural = name.slice(0, dot);
    } else {
      const known = KUBE_RESOURCES[name];
      return known === undefined ? undefined : { group: known.group, plural: name, namespaced: known.namespaced };
    }
  }
  const known = KUBE_RESOURCES[plural];
  return { group, plural, namespaced: known?.group === group ? known.namespaced : undefined };
}

/** The table as the chart's `files/kube-resources.json` holds it: sorted keys, two-space indent, final newline. */
export function kubeResourcesJsonText(): string {
  const sorted = Object.fromEntries(Object.keys(KUBE_RESOURCES).sort().map((k) => [k, KUBE_RESOURCES[k]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
