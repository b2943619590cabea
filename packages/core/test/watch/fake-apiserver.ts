import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** A fault: return true when it answered the request itself. */
export type Fault = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

// Keys in the order the apiserver writes a built-in kind (Go struct order), which the watcher's relist relies on
// to read an unchanged object's identity without parsing it.
interface Obj {
  kind: 'ConfigMap';
  apiVersion: 'v1';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; managedFields?: unknown[] };
  data: Record<string, string>;
}

interface HistoryEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

/**
 * A tiny in-memory apiserver for configmaps on 127.0.0.1, for the faults a real one cannot produce on demand
 * (expired continue tokens, truncated lines, hangs before headers). Continue tokens are offsets; watch history
 * is kept from `oldestRv` on, older resourceVersions get an ERROR 410 event.
 */
export class FakeApiserver {
  readonly requests: { readonly kind: 'list' | 'watch' | 'other'; readonly url: URL }[] = [];
  /** Consulted in order before the normal handling; a fault that answers is removed when `once` is set. */
  readonly faults: { fault: Fault; once: boolean }[] = [];
  readonly #server = http.createServer((req, res) => this.#handle(req, res)).on('connection', () => this.connectionsAccepted++);
  /** TCP connections accepted so far. */
  connectionsAccepted = 0;
  readonly #objects = new Map<string, Obj>();
  readonly #history: HistoryEvent[] = [];
  readonly #watchers = new Set<{ res: ServerResponse; ns: string | undefined }>();
  #rv = 100;
  #uid = 0;
  oldestRv = 100;
  /** When set, requests without `Authorization: Bearer <requiredToken>` get 401. */
  requiredToken: string | undefined;
  /** Status to answer every list and watch with, or undefined. */
  deny: { code: number; headers?: Record<string, string> } | undefined;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-secret' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
      currentContext: 'c',
    });
    return kc;
  }

  async connections(): Promise<number> {
    return await new Promise((resolve, reject) => this.#server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  fault(fault: Fault, once = true): void {
    this.faults.push({ fault, once });
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /**
   * Creates or updates configmap `ns/name`; `recreate` gives it a new uid without a delete event; `managedFields`
   * adds `metadata.managedFields` as a real apiserver does.
   */
  put(ns: string, name: string, data: Record<string, string> = {}, options: { silent?: boolean; recreate?: boolean; managedFields?: unknown[] } = {}): Obj {
    const key = `${ns}/${name}`;
    const old = this.#objects.get(key);
    const uid = old !== undefined && options.recreate !== true ? old.metadata.uid : `uid-${++this.#uid}`;
    const managed = options.managedFields === undefined ? {} : { managedFields: options.managedFields };
    const obj: Obj = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: ns, uid, resourceVersion: String(++this.#rv), ...managed }, data };
    this.#objects.set(key, obj);
    if (options.silent !== true) this.#record(old === undefined ? 'ADDED' : 'MODIFIED', obj);
    return obj;
  }

  remove(ns: string, name: string, options: { silent?: boolean } = {}): void {
    const key = `${ns}/${name}`;
    const old = this.#objects.get(key);
    if (old === undefined) return;
    this.#objects.delete(key);
    const obj: Obj = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.#rv) } };
    if (options.silent !== true) this.#record('DELETED', obj);
  }

  /** Drops all history: watches from older resourceVersions get 410. */
  compact(): void {
    this.oldestRv = this.#rv;
    this.#history.length = 0;
  }

  bookmark(): void {
    for (const w of this.#watchers) this.#send(w.res, { type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) } } });
  }

  /** Ends every open watch cleanly (as a server-side timeout does). */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  #record(type: HistoryEvent['type'], object: Obj): void {
    const ev = { rv: this.#rv, type, object };
    this.#history.push(ev);
    for (const w of this.#watchers) if (w.ns === undefined || w.ns === object.metadata.namespace) this.#send(w.res, { type, object });
  }

  #send(res: ServerResponse, event: unknown): void {
    res.write(`${JSON.stringify(event)}\n`);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/configmaps$/.exec(url.pathname);
    const kind = m === null ? 'other' : url.searchParams.get('watch') === '1' ? 'watch' : 'list';
    this.requests.push({ kind, url });
    for (const [i, f] of this.faults.entries()) {
      if (f.fault(req, res, url)) {
        if (f.once) this.faults.splice(i, 1);
        return;
      }
    }
    if (m === null) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }));
      return;
    }
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 401, reason: 'Unauthorized', message: 'Unauthorized' }));
      return;
    }
    if (this.deny !== undefined) {
      const { code, headers = {} } = this.deny;
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason: code === 403 ? 'Forbidden' : 'Denied', message: `denied with ${code}` }));
      return;
    }
    const ns = m[1];
    if (kind === 'watch') this.#watch(res, url, ns);
    else this.#list(res, url, ns);
  }

  #list(res: ServerResponse, url: URL, ns: string | undefined): void {
    const all = [...this.#objects.values()].filter((o) => ns === undefined || o.metadata.namespace === ns).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const cont = url.searchParams.get('continue');
    let start = 0;
    let rv = String(this.#rv);
    if (cont !== null) {
      const token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')) as { start: number; rv: string };
      start = token.start;
      rv = token.rv;
    }
    const items = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const next = limit > 0 && start + limit < all.length ? Buffer.from(JSON.stringify({ start: start + limit, rv })).toString('base64') : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: rv, ...(next === undefined ? {} : { continue: next }) }, items }));
  }

  #watch(res: ServerResponse, url: URL, ns: string | undefined): void {
    const rv = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (url.searchParams.get('sendInitialEvents') === 'true') {
      // A streaming list: every object as ADDED, then the bookmark that ends the initial events.
      for (const o of this.#objects.values()) if (ns === undefined || o.metadata.namespace === ns) this.#send(res, { type: 'ADDED', object: o });
      this.#send(res, {
        type: 'BOOKMARK',
        object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv), annotations: { 'k8s.io/initial-events-end': 'true' } } },
      });
      const w = { res, ns };
      this.#watchers.add(w);
      res.on('close', () => this.#watchers.delete(w));
      return;
    }
    if (rv < this.oldestRv) {
      this.#send(res, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${rv} (${this.oldestRv})` } });
      res.end();
      return;
    }
    for (const ev of this.#history) {
      if (ev.rv > rv && (ns === undefined || ev.object.metadata.namespace === ns)) this.#send(res, { type: ev.type, object: ev.object });
    }
    const w = { res, ns };
    this.#watchers.add(w);
    res.on('close', () => this.#watchers.delete(w));
  }
}
