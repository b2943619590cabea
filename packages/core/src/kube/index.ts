// @watch-proxy/core/kube: a JSON client for the apiserver of a KubeConfig (credentials, TLS and exec plugins as
// the watchers use them), for the few requests a host makes besides watching (the daemon's access review), and
// the error it rejects with.
export { KubeJsonClient, KubeRequestError } from './kube-json-client.js';
export type { KubeJsonRequest } from './kube-json-client.js';
