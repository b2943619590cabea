import { KubeConfig } from '@kubernetes/client-node';
import { KubeJsonClient, KubeRequestError, type KubeJsonRequest } from '../../src/kube/kube-json-client.js';

/** ConfigMaps in memory behind the client's request(): GET/POST/PUT by path, as the apiserver answers them. */
export class FakeConfigMapApi extends KubeJsonClient {
  readonly objects = new Map<string, { binaryData: Record<string, string>; metadata: { labels: Record<string, string>; annotations: Record<string, string> } }>();
  readonly calls: string[] = [];
  /** Successful writes (a PUT that found the object, or a POST), by object path. */
  readonly writes = new Map<string, number>();

  constructor(objects?: FakeConfigMapApi['objects']) {
    super(new KubeConfig());
    for (const [path, object] of objects ?? []) this.objects.set(path, structuredClone(object));
  }

  override async request<T>(req: KubeJsonRequest): Promise<T> {
    this.calls.push(`${req.method} ${req.path}`);
    const body = req.body as { metadata: { name: string } } | undefined;
    const path = req.method === 'POST' ? `${req.path}/${body?.metadata.name ?? ''}` : req.path;
    if (req.method === 'GET' || req.method === 'PUT') {
      if (!this.objects.has(path)) throw new KubeRequestError(404, 'not found');
      if (req.method === 'GET') return structuredClone(this.objects.get(path)) as T;
    }
    this.objects.set(path, structuredClone(req.body) as never);
    this.writes.set(path, (this.writes.get(path) ?? 0) + 1);
    return req.body as T;
  }
}
