import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SinkStartError } from '@watch-proxy/core';
import { longTimeoutSignal } from '@watch-proxy/core/sink';
import type { Logger } from '@watch-proxy/core';
import type { TlsMaterial } from './agent.js';
import { classifyFailure, isTlsTrustError } from './classify.js';

/**
 * Opens one connection to the endpoint (TCP, plus the TLS handshake for `https:`) and closes it, without sending a
 * request the receiver would have to understand. A TLS trust failure (wrong CA, certificate name or dates) is a
 * configuration error that retrying cannot fix: it rejects with `SinkStartError` (`WP_ERR_SINK_START`). An unreachable endpoint only
 * logs a warning: it may come up after watch-proxy, and one endpoint being down must not keep the others from
 * starting (core retries its batches meanwhile). Messages name the endpoint, never credentials.
 */
export async function checkConnection(
  url: URL,
  tls: TlsMaterial,
  target: string,
  timeoutMs: number,
  ctx: { readonly signal: AbortSignal; readonly logger: Logger; readonly sink: string },
): Promise<void> {
  const { signal } = ctx;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const https = url.protocol === 'https:';
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  const timeout = longTimeoutSignal(timeoutMs);
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
    const message = `startup check: ${(failure.status === 'delivered' ? String(error) : failure.error.message).replace(/^POST /, 'connect to ')}`;
    if (isTlsTrustError(error)) throw new SinkStartError(ctx.sink, { reason: message, cause: error });
    ctx.logger.warn({ target }, `${message}; starting anyway, batches are retried until it answers`);
  } finally {
    (socket as Socket | undefined)?.destroy();
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
