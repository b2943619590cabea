// A real HTTP(S) receiver on 127.0.0.1, port 0, for the sink tests: records every request and answers through
// a scripted handler.
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** When the request's body had been read, performance.now(). */
  readonly at: number;
}

/** Answers one request; return nothing and leave the response open to never answer. */
export type Handler = (request: ReceivedRequest, res: ServerResponse, req: IncomingMessage) => void;

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Replaces the handler for the following requests. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** Answers 200 with an empty body. */
export const ok: Handler = (_request, res) => {
  res.writeHead(200).end();
};

/** Starts a receiver; `https` options make it an HTTPS server. */
export async function startReceiver(handler: Handler = ok, https?: HttpsServerOptions): Promise<Receiver> {
  let current = handler;
  const requests: ReceivedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: performance.now() };
      requests.push(request);
      current(request, res, req);
    });
  };
  const server: Server = https === undefined ? createHttpServer(listener) : createHttpsServer(https, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${https === undefined ? 'http' : 'https'}://127.0.0.1:${port}/watch-proxy`,
    requests,
    handle(next) {
      current = next;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
