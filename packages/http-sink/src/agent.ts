import { Agent as HttpAgent } from 'node:http';
import type { AgentOptions as HttpAgentOptions, ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { configError } from './config-error.js';
import type { HttpSinkTlsOptions } from './options.js';
import { MAX_TLS_FILE_BYTES, readBoundedFileSync } from './read-bounded-file.js';

/** TLS material read from the files named in the options, once. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
}

/** Reads the CA, certificate and key files named in `tls`; a missing file is a creation error naming the option. */
export function readTlsMaterial(tls: HttpSinkTlsOptions | undefined): TlsMaterial {
  const caFile = tls?.caFile ?? undefined;
  const certFile = tls?.certFile ?? undefined;
  const keyFile = tls?.keyFile ?? undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw configError('tls', 'certFile and keyFile must be given together');
  return {
    ...(caFile === undefined ? {} : { ca: readPem(caFile, 'tls.caFile') }),
    ...(certFile === undefined ? {} : { cert: readPem(certFile, 'tls.certFile') }),
    ...(keyFile === undefined ? {} : { key: readPem(keyFile, 'tls.keyFile') }),
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
  };
}

/**
 * The keep-alive agent for one endpoint: sends are never concurrent for one sink, so a couple of sockets is
 * plenty, and reusing them saves a TCP (and TLS) handshake per batch. With a `proxy` (from `proxyFor`), `https:`
 * endpoints are reached through a `CONNECT` tunnel (the TLS session, with `tls`, is end to end with the
 * endpoint) and `http:` ones by sending the absolute URL to the proxy; credentials in the proxy URL are sent as
 * `Proxy-Authorization: Basic`.
 */
export function createAgent(protocol: 'http:' | 'https:', tls: TlsMaterial, proxy?: URL): HttpAgent {
  const common = { keepAlive: true, maxSockets: 2, maxFreeSockets: 2, scheduling: 'lifo' as const };
  if (proxy !== undefined) return protocol === 'http:' ? new HttpProxyAgent(proxy, common) : new TunnelAgent(proxy, tls, common);
  return protocol === 'http:' ? new HttpAgent(common) : new HttpsAgent({ ...common, ...tls });
}

/** A regular file within MAX_TLS_FILE_BYTES: `/dev/zero` or a FIFO here is refused at once instead of hanging. */
type TunnelConnectOptions = Parameters<HttpsProxyAgent<string>['connect']>[1];

/**
 * `HttpsProxyAgent` with the endpoint's TLS material on the tunnelled connection: the agent applies the options it
 * is constructed with to the connection to the proxy only, and fetch passes none per request.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  readonly #tls: TlsMaterial;

  constructor(proxy: URL, tls: TlsMaterial, options: HttpAgentOptions) {
    super(proxy, options);
    this.#tls = tls;
  }

  override connect(req: ClientRequest, options: TunnelConnectOptions): ReturnType<HttpsProxyAgent<string>['connect']> {
    return super.connect(req, { ...options, ...this.#tls });
  }
}

function readPem(path: string, option: string): Buffer {
  try {
    return readBoundedFileSync(path, MAX_TLS_FILE_BYTES);
  } catch (error) {
    // The path is configuration, not a secret; the contents never appear in messages.
    throw configError(option, `cannot read ${path}: ${(error as { reason?: string }).reason ?? 'unreadable'}`, { cause: error });
  }
}
