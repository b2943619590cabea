/**
 * Realistic objects for the benchmarks, shaped like what Helm charts and controllers leave in a cluster: labels
 * and annotations of the usual kinds, data with config files, pod specs with several containers, probes, volumes
 * and tolerations. They are created through the API (with a field manager), so the apiserver adds managedFields,
 * uid, resourceVersion and timestamps exactly as for real objects.
 */

/** Annotation bumped to make a real change (a new fingerprint) without changing the object's size. */
export const REV_ANNOTATION = 'bench.watch-proxy.io/rev';

function pad(i: number): string {
  return String(i).padStart(6, '0');
}

function labels(app: string, i: number): Record<string, string> {
  return {
    app,
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/instance': `${app}-${i % 17}`,
    'app.kubernetes.io/version': `1.${i % 9}.${i % 13}`,
    'app.kubernetes.io/component': i % 3 === 0 ? 'api' : 'worker',
    'app.kubernetes.io/part-of': 'storefront',
    'app.kubernetes.io/managed-by': 'Helm',
    'helm.sh/chart': `${app}-4.2.${i % 7}`,
    team: ['payments', 'search', 'catalog', 'checkout'][i % 4]!,
  };
}

function helmAnnotations(app: string, ns: string): Record<string, string> {
  return {
    'meta.helm.sh/release-name': app,
    'meta.helm.sh/release-namespace': ns,
    'deployment.kubernetes.io/revision': '7',
    [REV_ANNOTATION]: 'r0',
  };
}

/** A ConfigMap of about `kb` KB of JSON (as the apiserver returns it, managedFields included). */
export function configMap(ns: string, i: number, kb = 4): Record<string, unknown> {
  const app = `svc-${i % 50}`;
  // Config-file-like text: repeated but not identical lines (real configs compress ~5x, so do these).
  const lines: string[] = [];
  const target = Math.max(200, kb * 1024 - 2300);
  for (let n = 0; lines.join('\n').length < target; n++) {
    lines.push(`  key_${n}_${(i * 7919 + n * 104729) % 100000}: "value-${(i + n) % 997}-${'x'.repeat(n % 23)}"`);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${pad(i)}`, namespace: ns, labels: { ...labels(app, i), bench: 'sync' }, annotations: helmAnnotations(app, ns) },
    data: {
      'application.yaml': `server:\n  port: ${8000 + (i % 100)}\nsettings:\n${lines.join('\n')}\n`,
      'log-level': ['info', 'debug', 'warn'][i % 3]!,
      'features.json': JSON.stringify({ newCheckout: i % 2 === 0, searchV2: i % 5 === 0, cacheTtlSeconds: 30 + (i % 60) }),
    },
  };
}

function podSpec(app: string, i: number): Record<string, unknown> {
  const container = (name: string, port: number): Record<string, unknown> => ({
    name,
    image: `registry.example.com/storefront/${app}-${name}:1.${i % 9}.${i % 13}`,
    imagePullPolicy: 'IfNotPresent',
    args: ['--config=/etc/app/application.yaml', `--port=${port}`, '--log-format=json'],
    ports: [
      { name: 'http', containerPort: port, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090 + (port % 10), protocol: 'TCP' },
    ],
    env: [
      { name: 'APP_NAME', value: app },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'JAVA_OPTS', value: '-XX:MaxRAMPercentage=75 -XX:+UseG1GC -Dfile.encoding=UTF-8' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${app}-db`, key: 'password' } } },
    ],
    resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
    livenessProbe: { httpGet: { path: '/live', port, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });
  return {
    // One container: with the managedFields the apiserver adds, that makes the ~5 KB object of the targets.
    containers: [container('app', 8080)],
    volumes: [
      { name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } },
      { name: 'tmp', emptyDir: {} },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: app,
    securityContext: { fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    },
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    nodeName: `node-${i % 40}`,
  };
}

/** A Pod of a ReplicaSet, about 5 KB of JSON with managedFields. */
export function pod(ns: string, i: number): Record<string, unknown> {
  const app = `svc-${i % 50}`;
  const hash = (0x5d8f7c6b9 + (i % 50)).toString(16).slice(0, 9);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-${hash}-${pad(i)}`,
      namespace: ns,
      labels: { ...labels(app, i), 'pod-template-hash': hash },
      annotations: { ...helmAnnotations(app, ns), 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'kubectl.kubernetes.io/default-container': 'app' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: `00000000-0000-4000-8000-${pad(i % 50).padStart(12, '0')}`, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: podSpec(app, i),
  };
}

/** A ReplicaSet with its pod template, about 5 KB of JSON with managedFields. */
export function replicaSet(ns: string, i: number): Record<string, unknown> {
  const app = `svc-${i % 50}`;
  const hash = (0x5d8f7c6b9 + i).toString(16).slice(0, 9);
  const spec = podSpec(app, i);
  delete spec['nodeName'];
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${app}-${hash}-${pad(i)}`, namespace: ns, labels: { ...labels(app, i), 'pod-template-hash': hash }, annotations: helmAnnotations(app, ns) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app, 'pod-template-hash': hash } },
      template: { metadata: { labels: { ...labels(app, i), 'pod-template-hash': hash } }, spec },
    },
  };
}
