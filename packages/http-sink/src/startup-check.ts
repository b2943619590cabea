import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WatchProxyError } from '@watch-proxy/core';
import type { TlsMaterial } from './agent.js';
import { classifyFailure } from './classify.js';

/**
 * Opens one connection to the endpoint (TCP, plus the TLS handshake for `https:`) and closes it: catches a wrong
 * host or port, an untrusted certificate or a wrong CA at startup, without sending a request the receiver would
 * have to understand. Rejects with `WP_ERR_SINK_START` naming the endpoint (never credentials).
 */
export async function checkConnection(url: URL, tls: TlsMaterial, target: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const https = url.protocol === 'https:';
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  const timeout = AbortSignal.timeout(timeoutMs);
  const aborted = AbortSignal.any([signal, timeout]);
  let socket: Socket | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      if (aborted.aborted) {
        reject(aborted.reason as Error);
        return;
      }
      socket = https
        ? tlsConnect({ host, port, ...tls, ...(isIp(host) ? {} : { servername: host }) }, resolve)
        : netConnect({ host, port }, resolve);
      socket.once('error', reject);
      aborted.addEventListener('abort', () => reject(aborted.reason as Error), { once: true });
    });
  } catch (error) {
    const failure = classifyFailure(error, target, timeout.aborted && !signal.aborted, timeoutMs);
    const message = failure.status === 'delivered' ? String(error) : failure.error.message;
    throw new WatchProxyError('WP_ERR_SINK_START', `startup check: ${message.replace(/^POST /, 'connect to ')}`, { cause: error });
  } finally {
    (socket as Socket | undefined)?.destroy();
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
