/**
 * The Helm chart's `values.schema.json` (charts/watch-proxy): `config` is the daemon's config file, checked by
 * the same JSON Schema editors get (generated from the zod schema), and the chart's own keys beside it. Written
 * by `pnpm --filter watch-proxy gen:schema` and drift-checked in CI with the config schema.
 */
import { z } from 'zod';

import { clusterSchema } from '../config/cluster-schema.js';
import { configJsonSchema } from '../config/index.js';
import type { JsonSchema } from '../config/index.js';

const text = (description: string) => z.string().meta({ description });
const flag = (description: string, value: boolean) => z.boolean().default(value).meta({ description });
/** A Kubernetes object passed through as is (resources, affinity, a peer of a NetworkPolicy...). */
const object = (description: string) => z.record(z.string(), z.unknown()).meta({ description });
const stringMap = (description: string) => z.record(z.string(), z.string()).meta({ description });

const chartKeys = z.strictObject({
  nameOverride: text('Replaces the chart name in object names. Default "".').optional(),
  fullnameOverride: text('Replaces the release-and-chart name of every object. Default "".').optional(),
  image: z
    .strictObject({
      repository: text('Image repository, built from packages/cli/Dockerfile. Default registry.example.com/watch-proxy.'),
      tag: text('Image tag. Default "" (the chart appVersion).').optional(),
      digest: text('Image digest (sha256:...), used instead of the tag when set. Default "".').optional(),
      pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent').meta({ description: 'Default IfNotPresent.' }),
    })
    .meta({ description: 'The container image.' }),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).default([]).meta({ description: 'Secrets for pulling the image.' }),
  highAvailability: z
    .strictObject({
      enabled: flag('Run replicas (2 by default) with leader election (config.leaderElection.enabled is set for you): one delivers, the others stand by and take over within leaseDuration. Default false: one replica, replaced with Recreate.', false),
      replicas: z.number().int().min(2).default(2).meta({ description: 'Replicas in HA mode. Default 2.' }),
    })
    .meta({ description: 'High availability: several replicas, one leader.' }),
  serviceAccount: z
    .strictObject({
      create: flag('Create the ServiceAccount. Default true.', true),
      name: text('Its name. Default: the release fullname.').optional(),
      annotations: stringMap('Annotations of the ServiceAccount (e.g. a cloud IAM role).').optional(),
    })
    .meta({ description: 'The identity the daemon runs as.' }),
  rbac: z
    .strictObject({
      create: flag(
        'Create the least-privilege RBAC of the config (the same rules as `watch-proxy rbac`): list/watch on exactly config.resources (a ClusterRole, or Roles when every resource is namespaced and lists namespaces), the Lease only with leader election, the store ConfigMaps only with a cluster stateStore. Default true.',
        true,
      ),
    })
    .meta({ description: 'RBAC objects.' }),
  secretEnv: z
    .array(
      z.strictObject({
        name: text('The environment variable, as named by a *Var key of config (usernameVar, passwordVar, bearerTokenVar, signingSecretVar, sasl.*Var, tokenVar).'),
        secretName: text('An existing Secret.'),
        key: text('The key in that Secret.'),
      }),
    )
    .default([])
    .meta({ description: 'Credentials by reference: environment variables read from existing Secrets (the chart never holds secret values).' }),
  secretMounts: z
    .array(
      z.strictObject({
        secretName: text('An existing Secret.'),
        mountPath: text('Folder its keys appear in as files, for config keys naming files (bearerTokenFile, tls.*File, sasl.passwordFile).'),
      }),
    )
    .default([])
    .meta({ description: 'Existing Secrets mounted read-only as files.' }),
  clusters: z
    .array(
      clusterSchema
        .omit({ kubeconfig: true })
        .extend({
          kubeconfigSecret: z
            .strictObject({
              name: text('An existing Secret in the release namespace.'),
              key: text('The key holding the kubeconfig. Default "kubeconfig".').default('kubeconfig'),
            })
            .optional()
            .meta({
              description: 'The Secret holding this cluster\'s kubeconfig, mounted read-only at /etc/watch-proxy-clusters/<name>/<key>. Default: none, the pod\'s own cluster (kubeconfig: in-cluster).',
            }),
        })
        .meta({ description: 'A cluster to watch: name, context and metadata as in config.clusters.' }),
    )
    .default([])
    .meta({
      description:
        'Clusters to watch, each from its kubeconfig Secret: appended to config.clusters, their kubeconfig pointing at the mounted file. Names must be unique across both lists. Default [] (only config.clusters, or the pod\'s own cluster).',
    }),
  env: z.array(object('An EnvVar.')).default([]).meta({ description: 'Extra environment variables (EnvVar objects), e.g. HTTPS_PROXY.' }),
  podDisruptionBudget: z
    .strictObject({
      enabled: flag('Create a PodDisruptionBudget. Default false.', false),
      minAvailable: z.union([z.number().int(), z.string()]).default(1).meta({ description: 'Default 1.' }),
    })
    .meta({ description: 'Keeps a replica during voluntary disruptions (useful with highAvailability).' }),
  serviceMonitor: z
    .strictObject({
      enabled: flag('Create a Prometheus Operator ServiceMonitor for config.prometheusMetrics (needs its CRD). Default false.', false),
      interval: text('Scrape interval. Default 30s.').default('30s'),
      labels: stringMap('Extra labels, e.g. the one your Prometheus selects ServiceMonitors by.').optional(),
    })
    .meta({ description: 'Prometheus Operator scraping.' }),
  networkPolicy: z
    .strictObject({
      enabled: flag('Create a NetworkPolicy: ingress only to the metrics and probe ports. Default false.', false),
      metricsFrom: z.array(object('A NetworkPolicyPeer.')).default([]).meta({ description: 'Who may reach the metrics port; empty: anyone.' }),
      egress: z
        .array(object('A NetworkPolicyEgressRule.'))
        .optional()
        .meta({ description: 'When set, egress is limited to these rules (include the apiserver, DNS and every endpoint). Default: egress not limited.' }),
    })
    .meta({ description: 'Network isolation of the pods.' }),
  resources: object('Container resources (requests and limits).').optional(),
  podAnnotations: stringMap('Extra pod annotations.').optional(),
  podLabels: stringMap('Extra pod labels.').optional(),
  nodeSelector: stringMap('Pod nodeSelector.').optional(),
  tolerations: z.array(object('A Toleration.')).default([]).meta({ description: 'Pod tolerations.' }),
  affinity: object('Pod affinity.').optional(),
  priorityClassName: text('Pod priorityClassName. Default "".').optional(),
  terminationGracePeriodSeconds: z
    .number()
    .int()
    .min(1)
    .default(30)
    .meta({ description: 'Must exceed config.shutdownGracePeriod (10s by default): SIGTERM drains pending sends, then saves the caches. Default 30.' }),
  stateVolume: z
    .strictObject({ sizeLimit: text('Size limit of the emptyDir at config.stateDir. Default 256Mi.').default('256Mi') })
    .meta({ description: 'The emptyDir holding config.stateDir.' }),
});

/** Draft-07 keywords that belong to a document's root, not to a schema nested in another. */
const ROOT_ONLY = new Set(['$schema', '$comment', 'title']);

/** The chart's values.schema.json: its keys, and `config` = the config file's schema. */
export function chartValuesJsonSchema(): JsonSchema {
  const keys = z.toJSONSchema(chartKeys, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  const config = Object.fromEntries(Object.entries(configJsonSchema()).filter(([k]) => !ROOT_ONLY.has(k)));
  return {
    $comment: 'Generated from packages/cli/src/chart/values-schema.ts and the config schema by `pnpm --filter watch-proxy gen:schema`; do not edit.',
    ...keys,
    title: 'watch-proxy Helm chart values',
    properties: {
      config: { ...config, description: 'The watch-proxy config file (docs/configuration.md), key for key: it becomes the ConfigMap the daemon reads.' },
      ...(keys['properties'] as Record<string, unknown>),
      global: { description: 'Helm globals (ignored).' },
    },
  };
}

/** The committed file's exact text. */
export function chartValuesJsonSchemaText(): string {
  return `${JSON.stringify(chartValuesJsonSchema(), null, 2)}\n`;
}
