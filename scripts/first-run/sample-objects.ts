// The objects the first run creates in the embedded test apiserver, and the changes it then makes to them, so a
// person sees an add, an update naming its fields, and a delete before touching anything.
import type { TestCluster } from '../../test/cluster/src/index.ts';

/** The namespace every sample object lives in. */
export const DEMO_NAMESPACE = 'watch-proxy-demo';

const ns = DEMO_NAMESPACE;

/**
 * The samples the demo changes. Their names are unique among the samples, so the daemon's output can be searched
 * for them in either format (`watch-proxy-demo/backend` in text, `"name":"backend"` in JSON).
 */
export const CHANGED_SAMPLES: readonly string[] = ['greeting', 'old-settings', 'backend'];

/** Whether `output` shows the sample `name` (a whole name, not a prefix of another). */
export function mentions(output: string, name: string): boolean {
  return new RegExp(`[/"]${name}(?:["\\s]|$)`, 'm').test(output);
}

/** Creates the namespace and its sample objects (a ConfigMap to change, one to delete, a Service, a Deployment). */
export async function createSampleObjects(cluster: TestCluster): Promise<void> {
  await cluster.requestOk('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, {
    metadata: { name: 'greeting', labels: { app: 'web' } },
    data: { message: 'hello' },
  });
  await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'old-settings' }, data: { mode: 'legacy' } });
  await cluster.requestOk('POST', `/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'frontend', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await cluster.requestOk('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    metadata: { name: 'backend', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.29' }] } },
    },
  });
}

/** Updates two sample objects (a ConfigMap's data and label, a Deployment's replicas) and deletes one. */
export async function changeSampleObjects(cluster: TestCluster): Promise<void> {
  const merge = { contentType: 'application/merge-patch+json' };
  await cluster.requestOk(
    'PATCH',
    `/api/v1/namespaces/${ns}/configmaps/greeting`,
    JSON.stringify({ metadata: { labels: { tier: 'demo' } }, data: { message: 'hello again' } }),
    merge,
  );
  await cluster.requestOk('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/backend`, JSON.stringify({ spec: { replicas: 3 } }), merge);
  await cluster.requestOk('DELETE', `/api/v1/namespaces/${ns}/configmaps/old-settings`);
}
