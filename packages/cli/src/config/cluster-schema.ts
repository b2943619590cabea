/**
 * The `clusters:` list (one daemon, several clusters) and its top-level companions, `clusterReadiness` and
 * `removedClusterObjects`. Cross-key rules (unique names, endpoints naming known clusters, `clusterName` beside the
 * list) are in `check-config.ts`; whether each kubeconfig file can be read and has the context, in
 * `check-environment.ts`.
 */
import { z } from 'zod';

import { flag, nonEmptyText, scalarToString } from './schema-fields.js';

/** A cluster name: what `uniqueId`s start with and `meta.cluster` says, so no spaces or control characters. */
const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** `kubeconfig: in-cluster`: the pod's own service account, whatever `--kubeconfig` says. */
export const IN_CLUSTER = 'in-cluster';

const metadataScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const metadataValue = z
  .union([metadataScalar, z.array(metadataScalar)], {
    error: 'metadata values must be strings, numbers, booleans or lists of them (nested mappings are not supported)',
  })
  .meta({ description: 'A metadata value: a string, number, boolean, null, or a list of those.' });

/**
 * One entry of `clusters:`. Exported so the Helm chart's values describe their cluster entries with the same
 * name, context and metadata rules.
 */
export const clusterSchema = z
  .strictObject({
    name: z
      .preprocess(
        scalarToString,
        z.string().max(63).regex(CLUSTER_NAME, { error: 'must be letters, digits, "-", "_" and "." (starting and ending with a letter or digit), at most 63 characters' }),
      )
      .meta({
        pattern: CLUSTER_NAME.source,
        description:
          'The cluster\'s clusterName: prefix of its objects\' uniqueId ("<name>-<uid>"), meta.cluster of its payloads, and the folder of its emit cache (<stateDir>/clusters/<name>/). Unique; keep it stable: a new name starts from an empty cache (its objects are sent again, deletes made meanwhile are not reported).',
      }),
    kubeconfig: nonEmptyText(
      'Where the cluster\'s credentials come from: a kubeconfig file (in Kubernetes, typically a mounted Secret per remote cluster), or "in-cluster" for the pod\'s own service account. Default: the daemon\'s own (--kubeconfig, KUBECONFIG, ~/.kube/config, in-cluster).',
    ).optional(),
    context: nonEmptyText('The kubeconfig context to use. Default: the file\'s current-context.').optional(),
    metadata: z
      .record(z.string(), metadataValue)
      .optional()
      .meta({ description: 'Key/values added to the payload\'s "meta" for this cluster\'s batches, over the top-level metadata ("cluster" is always its name).' }),
    clusterUid: z
      .boolean()
      .optional()
      .meta({ description: 'Overrides the top-level clusterUid for this cluster. Default: the top-level value.' }),
  })
  .meta({ description: 'One cluster to watch. New.' });

/** The top-level keys of several clusters, spread into the file schema. */
export const clusterKeys = {
  clusters: z
    .array(clusterSchema)
    .min(1, { error: 'must list at least one cluster (omit the key to watch the daemon\'s own cluster)' })
    .optional()
    .meta({
      description:
        'Several clusters watched by one daemon, each with its own watches, uniqueId prefix, meta.cluster, emit cache and health; a batch never mixes clusters. Endpoints receive from every cluster unless they name some (remoteEndpoints[].clusters). Replaces clusterName. Adding or removing an entry is applied on reload without touching the other clusters. Default: the daemon\'s own cluster only, exactly as without this key. New.',
    }),
  clusterUid: flag(
    'Add meta.clusterUid, the UID of the cluster\'s kube-system Namespace, to every payload, so receivers can tell apart clusters that share a name (for each entry of clusters, or the daemon\'s own cluster). Needs get on namespaces/kube-system (watch-proxy rbac and the chart grant it). Read once per cluster before any of its batches is sent; while it cannot be read that cluster\'s batches wait (retried with backoff, logged), the others flow. Default false: payloads exactly as without it. New.',
    false,
  ),
  clusterReadiness: z
    .enum(['all', 'any'])
    .default('all')
    .meta({
      description:
        'With clusters: /ready answers 200 when "all" clusters (default) or "any" cluster finished listing every resource. A cluster that is down never makes the daemon not live. New.',
    }),
  removedClusterObjects: z
    .enum(['keep', 'delete'])
    .default('keep')
    .meta({
      description:
        'What endpoints hear when an entry leaves clusters on reload: "keep" (default) nothing, they keep its objects (and adding it back sends only what changed); "delete": a delete of every object of it they hold. New.',
    }),
};
