/**
 * The config file's schema (zod 4): the single source of the file's shape, its defaults, the parse-time
 * normalization (durations to milliseconds) and, through `.meta({ description })`, the committed JSON Schema.
 * An HTTP endpoint's own keys come from `@watch-proxy/http-sink/schema` (the sink defines them; this file only how
 * scalars are spelled). Cross-field rules (duplicates, auth conflicts, env vars) live in `check-config.ts`, because
 * they need positions and the environment rather than shape.
 */
import { httpEndpointFields, type EndpointFieldBuilders } from '@watch-proxy/http-sink/schema';
import { z } from 'zod';

import { clusterKeys } from './cluster-schema.js';
import { didYouMean } from './did-you-mean.js';
import { describeValue } from './issue-message.js';
import { kafkaEndpointSchema } from './kafka-endpoint-schema.js';
import { natsEndpointSchema } from './nats-endpoint-schema.js';
import { HOUR_MS, celExpression, duration, endpointRouting, envVarName, flag, nonEmptyText, optionalFlag, scalarToString, stringList, text, wholeNumber } from './schema-fields.js';

export { GO_DURATION_PATTERN } from './schema-fields.js';

/**
 * A TCP port written as a number or a numeric string (the original's field was a string); `""` disables the
 * listener, like the original. Normalized to a number, or `undefined` when disabled.
 */
function port(description: string) {
  return z
    .union([z.number(), z.string()], { error: 'expected a port number' })
    .transform((value, ctx) => {
      const raw = typeof value === 'string' ? value.trim() : value;
      if (raw === '') return undefined;
      const n = typeof raw === 'string' ? (/^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN) : raw;
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: 'must be a port number from 0 to 65535' });
        return z.NEVER;
      }
      return n;
    })
    .optional()
    .meta({ description });
}

function listener(description: string, what: string, defaultPath: string) {
  return z
    .strictObject({
      port: port(`TCP port of the ${what} server; unset or "" disables it. 0 picks a free port.`),
      path: z
        .string()
        // A regex rather than startsWith: it becomes a plain `pattern` in the JSON Schema (no custom format).
        .regex(/^\//, { error: 'must start with "/"' })
        .default(defaultPath)
        .meta({ description: `URL path of the ${what} endpoint. Default ${defaultPath}.` }),
    })
    .optional()
    .meta({ description });
}

const metadataScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const metadataValue = z
  .union([metadataScalar, z.array(metadataScalar)], {
    error: 'metadata values must be strings, numbers, booleans or lists of them (nested mappings are not supported)',
  })
  .meta({ description: 'A metadata value: a string, number, boolean, null, or a list of those.' });

const FILTER_EVENTS = ['add', 'update', 'delete'] as const;

/** `pods`, `plural.group`, `version/plural` (core group) or `group/version/plural`, lower-case as in URLs. */
const RESOURCE_NAME = /^(?:(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9][a-z0-9]*\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Most `resources` entries one config may list: 1,000, a few times the resource types of a large cluster with
 * many CRDs. Each entry is a watch connection and an object store of its own; 10,000 took 2.4 GB.
 */
export const MAX_RESOURCES = 1000;

const resourceSchema = z
  .strictObject({
    name: z
      .preprocess(
        scalarToString,
        z.string().refine((name) => RESOURCE_NAME.test(name), {
          error: (issue) => {
            const lower = typeof issue.input === 'string' ? issue.input.toLowerCase() : '';
            const hint = RESOURCE_NAME.test(lower) ? ` (did you mean ${JSON.stringify(lower)}?)` : '';
            return `must be a lower-case resource plural ("services"), "plural.group" ("certificates.cert-manager.io") or "group/version/plural"${hint}`;
          },
        }),
      )
      .meta({
        pattern: RESOURCE_NAME.source,
        description:
          'The resource to watch: a plural ("services"), "plural.group" ("certificates.cert-manager.io") or "group/version/plural" ("apps/v1/deployments"). Resolved through API discovery; built-ins and CRDs both work.',
      }),
    assetId: text('Copied to every payload entry\'s "asset_type_id" for this resource. Default "".').default(''),
    pruneFields: stringList(
      'Dot paths removed from each object before fingerprinting and sending, e.g. "metadata.resourceVersion". "[*]" walks arrays, "\\." escapes a dot inside a key. A path through a missing key, an array or a scalar is a no-op.',
      'One dot path to remove.',
    ).default([]),
    filterEvents: z
      .array(z.enum(FILTER_EVENTS).meta({ description: 'An event name: add, update or delete.' }))
      .default([])
      .meta({ description: 'Events not sent for this resource (add, update, delete). Default none.' }),
    labelSelector: nonEmptyText('Kubernetes label selector for the list/watch, e.g. "app=web,tier!=cache". New.').optional(),
    fieldSelector: nonEmptyText('Kubernetes field selector for the list/watch, e.g. "spec.nodeName=node-1". New.').optional(),
    namespaces: z
      .array(nonEmptyText('A namespace name.'))
      .min(1, { error: 'must list at least one namespace (omit the key to watch all namespaces)' })
      .optional()
      .meta({ description: 'Watch only these namespaces (one watch each). Default: one cluster-wide watch. New.' }),
    includeSecretData: optionalFlag(
      'Send Secret data/stringData values and the kubectl last-applied-configuration annotation instead of redacting them. Default false, or true with originalContent. New.',
    ),
    includeManagedFields: optionalFlag('Keep metadata.managedFields. Default false (dropped), or true with originalContent. New.'),
    filter: celExpression(
      'A CEL boolean over `object` (as sent: pruned, redacted) deciding which objects of this resource are reported at all, to every endpoint, e.g. `object.spec.type == "LoadBalancer"`: one that starts matching is sent as add, one that stops matching is deleted at every endpoint that holds it. An evaluation error counts as not matching. Default: every object. New.',
    ),
  })
  .meta({ description: 'One kind of Kubernetes object to watch and how to shape it.' });

/** A Kubernetes object name (DNS subdomain), as Leases need. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const leaderElectionSchema = z
  .strictObject({
    enabled: flag(
      'Run several replicas with one delivering: the holder of a coordination.k8s.io/v1 Lease sends, the others watch and stand by, and the emit cache is shared through ConfigMaps next to the Lease. Default false. New.',
      false,
    ),
    leaseName: z
      .string()
      .max(253)
      .regex(OBJECT_NAME, { error: 'must be a Kubernetes object name (lower-case letters, digits, "-" and ".")' })
      .default('watch-proxy')
      .meta({ description: 'Name of the Lease (and prefix of the shared emit cache ConfigMaps). Default "watch-proxy". New.' }),
    namespace: nonEmptyText(
      "Namespace of the Lease and the shared emit cache ConfigMaps. Default: the daemon's own namespace (the service account's, in a pod). New.",
    ).optional(),
    leaseDuration: duration(
      "How long standbys wait after they last saw the Lease renewed before taking over (measured on each standby's own clock), a Go duration. Default 15s (client-go's). New.",
      { default: '15s', positive: true, max: { ms: HOUR_MS, text: '1h', why: 'a leader election bound of more than an hour would leave no leader (or two) for that long' } },
    ),
    renewDeadline: duration(
      'How long the leader keeps delivering after its last successful renewal began; then it stops sending and stands by. Must be less than leaseDuration, the difference being the safety margin. Default 10s. New.',
      { default: '10s', positive: true, max: { ms: HOUR_MS, text: '1h', why: 'a leader election bound of more than an hour would leave no leader (or two) for that long' } },
    ),
    retryPeriod: duration(
      'Interval between acquire and renew attempts, a Go duration. renewDeadline must exceed 1.2 times it. Default 2s. New.',
      { default: '2s', positive: true, max: { ms: HOUR_MS, text: '1h', why: 'a leader election bound of more than an hour would leave no leader (or two) for that long' } },
    ),
  })
  .optional()
  .meta({ description: 'Leader election for running 2+ replicas (high availability). Off unless enabled. New.' });

const stateStoreSchema = z
  .strictObject({
    type: z
      .enum(['disk', 'cluster'])
      .default('disk')
      .meta({
        description:
          'Where the emit cache outlives the pod. "disk" (default): stateDir only, lost with an emptyDir when the pod is replaced. "cluster": also in fixed ConfigMaps <name>-emit-cache-0..7 in the daemon\'s namespace, saved every 2s, and <name>-emit-cache-intents, written before sending an object the store does not know yet (a kill -9 misses no delete), so a replacement pod with an empty stateDir re-sends nothing and reports the deletes made meanwhile. leaderElection always uses the cluster store. New.',
      }),
    name: z
      .string()
      .max(230)
      .regex(OBJECT_NAME, { error: 'must be a Kubernetes object name (lower-case letters, digits, "-" and ".")' })
      .optional()
      .meta({ description: 'Prefix of the store\'s ConfigMap names (<name>-emit-cache-<n>, <name>-emit-cache-intents). Default: leaderElection.leaseName, else "watch-proxy". New.' }),
    namespace: nonEmptyText(
      "Namespace of the store's ConfigMaps. Default: leaderElection.namespace, else the daemon's own namespace (the service account's, in a pod). New.",
    ).optional(),
  })
  .optional()
  .meta({ description: 'Where the emit cache is kept besides stateDir (the in-cluster store). Default: disk only. New.' });

/** How the config file spells the scalars of an HTTP endpoint's keys, which http-sink's schema defines. */
const fieldBuilders: EndpointFieldBuilders = { text, nonEmptyText, envVarName, flag, wholeNumber, duration };

const endpointSchema = z
  .strictObject({
    name: nonEmptyText(
      'Unique name of this endpoint in logs, metrics and the emit cache. Default: the host and a short hash of the URL (never its path, query or credentials). New.',
    ).optional(),
    type: z
      .enum(['http', 'vro'], { error: (issue) => (issue.code === 'invalid_value' ? endpointTypeMessage(issue.input) : undefined) })
      .default('http')
      .meta({
        description:
          'Endpoint protocol: "http" (POST JSON), "vro" (vRealize Orchestrator), "kafka" or "nats" (see their own keys). Default http. The original\'s "sqs" is not supported.',
      }),
    ...httpEndpointFields(fieldBuilders),
    deltaUpdates: optionalFlag('This endpoint\'s deltaUpdates, overriding the top-level key. Default: the top-level deltaUpdates. New.'),
    ...endpointRouting,
    region: text('The original\'s AWS region for sqs endpoints; accepted and ignored.').optional(),
  })
  .meta({ description: 'One receiver of payloads.' });

const ENDPOINT_TYPES = ['http', 'vro', 'kafka', 'nats'];

/** Why `type` is not an endpoint type: "must be one of ..., got ..." with a suggestion, or the sqs explanation. */
function endpointTypeMessage(type: unknown): string {
  if (type === 'sqs') return 'sqs endpoints are out of scope and not supported; use an http endpoint (for example an HTTP-to-SQS bridge)';
  const expected = `must be one of ${ENDPOINT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`;
  if (typeof type !== 'string') return `${expected}, got ${describeValue(type)}`;
  const suggestion = didYouMean(type, ENDPOINT_TYPES);
  return `${expected}, got ${JSON.stringify(type)}${suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`}`;
}

/** An http or vro endpoint (`type` absent means http, as in the original). Also checks entries of an unknown type. */
export const httpEndpointSchema = endpointSchema;

/**
 * One `remoteEndpoints[]` entry, chosen by `type` (absent: http), so each type's keys are checked against that
 * type only. An unknown type fails here at `type` alone; the loader then checks the entry as an http endpoint, so
 * its other problems are reported too.
 */
const remoteEndpointSchema = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'http' } : value),
  z.discriminatedUnion('type', [endpointSchema, kafkaEndpointSchema, natsEndpointSchema], {
    error: (issue) => (issue.code === 'invalid_union' ? endpointTypeMessage((issue.input as { type?: unknown } | undefined)?.type) : undefined),
  }),
);

/** The config file schema. Its output is turned into a `WatchProxyConfig` by `toConfig`. */
export const configFileSchema = z
  .strictObject({
    version: z.literal(1).optional().meta({ description: 'Config format version. Optional; only 1 exists. New.' }),
    clusterName: text('Prefix of every uniqueId ("<clusterName>-<uid>") and, when non-empty, meta.cluster. Default "".').default(''),
    emitInterval: duration(
      'Minimum time between two batches to one endpoint, when set: seconds as a number (as in the original) or a Go duration; a change arriving at an endpoint that got no batch for that long is sent at once. 0 or absent (the default): adaptive batching: a change reaching an idle endpoint is sent at once; under load a batch that is not full starts 10 ms after the previous one started, a full one (emitBatchMaxObjects or emitBatchMaxBytes) as soon as the previous one is done. Changed: in the original, 0 or absent meant 1 second. At most 24h.',
      { default: 0, numberIsSeconds: true, max: { ms: 24 * HOUR_MS, text: '24h (86400)', why: 'changes would wait longer than a day to be sent' } },
    ),
    emitBatchMaxObjects: wholeNumber()
      .min(0)
      .default(0)
      .meta({ description: 'Maximum objects per batch. 0 means the default, 10.' }),
    emitBatchMaxBytes: wholeNumber()
      .min(1)
      .default(524_288)
      .meta({
        description:
          'Maximum JSON bytes per batch (a larger single object is sent alone). Default 524288 (512 KiB: fits behind nginx\'s default 1 MiB body limit; an endpoint answering 413 also gets smaller batches from then on). New.',
      }),
    emitCacheDuration: duration(
      'How long a delivered object is remembered so that an unchanged copy is not sent again, a Go duration. 0 (default) = forever. At most 365d.',
      { default: '0' },
    ),
    forceReuploadDuration: duration(
      'Resync period: every object is re-processed this often and re-sent only if it changed or its emit cache entry expired, a Go duration. 0 (default) = never. At most 365d.',
      { default: '0' },
    ),
    reconcileInterval: duration(
      'Every watched resource is listed again from the apiserver this often and what differs from the watch is reported (a missed event, as defence in depth), a Go duration; each time costs one list request per resource and namespace. 0 (default) = never. Unlike forceReuploadDuration it asks the apiserver. At most 365d. New.',
      { default: '0' },
    ),
    streamingList: flag(
      'List through one streaming watch (sendInitialEvents, KEP-3157: served from the apiserver\'s watch cache, no pages) instead of paginated lists where the server supports it; a server that cannot (the WatchList feature gate off, before 1.27) gets paginated lists from then on. false: always paginated lists. Default true. New.',
      true,
    ),
    delayAddEventDuration: duration(
      'For this long after each watch starts, add events are discarded (not deferred), a Go duration. 0 (default) = no delay. At most 365d.',
      { default: '0' },
    ),
    rejectedRetryInterval: duration(
      'How long a change an endpoint refused (a 3xx, 413 or other 4xx answer) waits before it is sent again, a Go duration; it also goes with its object\'s next change. Default 5m, at most 24h. New.',
      { default: '5m', positive: true, max: { ms: 24 * HOUR_MS, text: '24h', why: 'a refused change waiting longer than a day leaves the receiver out of sync for that long after it is fixed' } },
    ),
    shutdownGracePeriod: duration('How long shutdown may spend delivering pending changes, a Go duration, at most 24h. Default 10s. New.', {
      default: '10s',
      max: { ms: 24 * HOUR_MS, text: '24h', why: 'a shutdown that may take longer than a day is a shutdown that hangs' },
    }),
    deltaUpdates: flag(
      'Send an update as an RFC 6902 JSON Patch from the state last delivered to the endpoint (with the fingerprints of base and result) instead of the whole object; adds, deletes and the first send after a restart carry the whole object. HTTP endpoints only; each may override it. Default false (the original ignored this key).',
      false,
    ),
    originalContent: flag(
      "Send what the original sent, for receivers written for it: the kubectl last-applied-configuration annotation and Secret data values unredacted, metadata.managedFields kept (a resource's own includeSecretData/includeManagedFields still wins), and an object created and deleted before it was sent delivered as its add then its delete instead of nothing. Default false. New.",
      false,
    ),
    stateDir: nonEmptyText('Folder where the emit cache is persisted across restarts. Default: not persisted. New.').optional(),
    metadata: z
      .record(z.string(), metadataValue)
      .optional()
      .meta({ description: 'Key/values sent as the payload\'s top-level "meta" (with "cluster" added from clusterName).' }),
    ignoreNamespaces: stringList(
      'Changes of objects in these namespaces, and of the Namespace objects themselves, are dropped (exact names).',
      'A namespace name.',
    ).default([]),
    ...clusterKeys,
    leaderElection: leaderElectionSchema,
    stateStore: stateStoreSchema,
    prometheusMetrics: listener('Prometheus metrics server.', 'metrics', '/metrics'),
    httpLiveness: listener('HTTP liveness probe server (/ready is served next to it).', 'liveness', '/live'),
    remoteEndpoints: z
      .array(remoteEndpointSchema)
      .default([])
      .meta({ description: 'Where changes are delivered: HTTP receivers, Kafka topics, NATS JetStream. Empty: payloads are printed to stdout (with --dry-run).' }),
    resources: z
      .array(resourceSchema)
      .max(MAX_RESOURCES, {
        error: `must list at most ${String(MAX_RESOURCES)} resources: each is its own watch connection to the apiserver and its own object store; watch fewer, or split the list across several watch-proxy instances`,
      })
      .default([])
      .meta({ description: `The Kubernetes resources to watch; at most ${String(MAX_RESOURCES)}.` }),
  })
  .meta({
    title: 'watch-proxy configuration',
    description: 'The watch-proxy config file (a superset of the original Watch-Proxy config.yaml).',
  });

/** The parsed file, defaults applied and durations in milliseconds, before `toConfig` normalizes it. */
export type ConfigFile = z.output<typeof configFileSchema>;
