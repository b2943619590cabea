import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { configError } from './config-error.js';
import type { HttpSinkTlsOptions } from './options.js';

/**
 * The keep-alive agent for one endpoint: sends are never concurrent for one sink, so a couple of sockets is
 * plenty, and reusing them saves a TCP (and TLS) handshake per batch.
 */
export function createAgent(protocol: 'http:' | 'https:', tls: HttpSinkTlsOptions | undefined): HttpAgent {
  const common = { keepAlive: true, maxSockets: 2, maxFreeSockets: 2, scheduling: 'lifo' as const };
  if (protocol === 'http:') return new HttpAgent(common);
  const caFile = tls?.caFile ?? undefined;
  const certFile = tls?.certFile ?? undefined;
  const keyFile = tls?.keyFile ?? undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw configError('tls: certFile and keyFile must be given together');
  return new HttpsAgent({
    ...common,
    ...(caFile === undefined ? {} : { ca: readPem(caFile, 'tls.caFile') }),
    ...(certFile === undefined ? {} : { cert: readPem(certFile, 'tls.certFile') }),
    ...(keyFile === undefined ? {} : { key: readPem(keyFile, 'tls.keyFile') }),
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
  });
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    // The path is configuration, not a secret; the contents never appear in messages.
    throw configError(`${option}: cannot read ${path}`, error);
  }
}
