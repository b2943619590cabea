import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { Inventory, type ApplyResult } from './inventory.js';
import { MalformedBatchError, parseBatch, type ReceivedItem } from './parse-batch.js';
import { SeenKeys } from './seen-keys.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, checkSignature } from './signature.js';

/** Settings of {@link createReceiver}. */
export interface ReceiverOptions {
  /**
   * The endpoint's signing secret (`signingSecretVar`): every request must carry a valid signature with a timestamp
   * within `toleranceSeconds`, else it is answered 401. Unset: signatures are not checked.
   */
  readonly secret?: string | Buffer | undefined;
  /** How far a request's timestamp may be from this clock, seconds. Default 300. */
  readonly toleranceSeconds?: number | undefined;
  /** Where batches are applied. Default: a new {@link Inventory}. */
  readonly inventory?: Inventory | undefined;
  /** The idempotency key header (the endpoint's `idempotencyKeyHeader`), any case. Default `Idempotency-Key`. */
  readonly idempotencyKeyHeader?: string | undefined;
  /** Most idempotency keys remembered to drop retried and replayed batches. Default 10,000. */
  readonly maxKeys?: number | undefined;
  /** How long a key is remembered, ms. Default 3,600,000 (1 hour). */
  readonly keyTtlMs?: number | undefined;
  /** Largest body accepted (after gzip), bytes; larger ones are answered 413. Default 16 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /** Called with each batch's items before they are applied (to log or store them). Default: none. */
  readonly onBatch?: ((items: readonly ReceivedItem[], idempotencyKey: string | undefined) => void) | undefined;
}

/** A request as the framework-neutral {@link Receiver.handle} takes it. */
export interface ReceiverRequest {
  /** Header names in any case. */
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body, as received (gzip-compressed when `Content-Encoding: gzip`). */
  readonly body: Buffer | Uint8Array | string;
}

/** The answer to send back. */
export interface ReceiverAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text. */
  readonly body: string;
}

/** A request handler for watch-proxy endpoints; see {@link createReceiver}. */
export interface Receiver {
  readonly inventory: Inventory;
  /** Verifies, deduplicates, parses and applies one request; never throws. */
  handle(request: ReceiverRequest): ReceiverAnswer;
  /** For `node:http` and Express (a body already read by `express.raw()` is used as is). */
  node(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void>;
  /** For fetch-style servers (Deno, Bun, Hono, undici): a `Request` in, a `Response` out. */
  fetch(request: Request): Promise<Response>;
  /**
   * For Fastify: register a buffer parser first,
   * `app.addContentTypeParser(['application/json', 'application/cloudevents-batch+json'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body))`,
   * then `app.post('/hook', receiver.fastify)`.
   */
  fastify(
    request: { readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly body: unknown },
    reply: { code(status: number): unknown; header(name: string, value: string): unknown; send(body: string): unknown },
  ): Promise<void>;
}

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

function answer(status: number, body: unknown): ReceiverAnswer {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function header(headers: ReceiverRequest['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const lower = name.toLowerCase();
  const value = record[lower] ?? Object.entries(record).find(([key]) => key.toLowerCase() === lower)?.[1];
  return Array.isArray(value) ? (value as readonly string[])[0] : (value as string | undefined);
}

/**
 * A receiver for watch-proxy's HTTP endpoints (docs/receiver.md): checks the HMAC signature and its timestamp window
 * (401), answers a batch already processed (a retry or a replay, by idempotency key) 200 without applying it again,
 * parses either payload format (400 saying what is wrong), applies the items to the inventory, and answers 200, or
 * `409 {"resend":[uniqueIds]}` when patches lacked their base (watch-proxy then sends those objects whole; the
 * rest of the batch was applied). The same logic serves `node:http`/Express, Fastify and fetch-style handlers.
 */
export function createReceiver(options: ReceiverOptions = {}): Receiver {
  const inventory = options.inventory ?? new Inventory();
  const seen = new SeenKeys(options.maxKeys, options.keyTtlMs);
  const keyHeader = options.idempotencyKeyHeader ?? 'idempotency-key';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;

  function handle(request: ReceiverRequest): ReceiverAnswer {
    let body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    if (header(request.headers, 'content-encoding')?.toLowerCase() === 'gzip') {
      try {
        body = gunzipSync(body, { maxOutputLength: maxBodyBytes });
      } catch {
        return answer(400, { error: 'the gzip body could not be decompressed (or is larger than maxBodyBytes)' });
      }
    }
    if (body.length > maxBodyBytes) return answer(413, { error: `the body is larger than ${maxBodyBytes} bytes` });
    const key = header(request.headers, keyHeader);
    if (options.secret !== undefined) {
      const problem = checkSignature({
        secret: options.secret,
        body,
        idempotencyKey: key,
        timestamp: header(request.headers, TIMESTAMP_HEADER),
        signature: header(request.headers, SIGNATURE_HEADER),
        toleranceSeconds: options.toleranceSeconds,
      });
      if (problem !== undefined) return answer(401, { error: `signature ${problem}` });
    }
    if (key !== undefined && seen.has(key)) return answer(200, { duplicate: true });
    let items: ReceivedItem[];
    try {
      items = parseBatch(body).items;
    } catch (error) {
      if (error instanceof MalformedBatchError) return answer(400, { error: error.message });
      throw error;
    }
    options.onBatch?.(items, key);
    const result: ApplyResult = inventory.apply(items);
    if (result.resend.length > 0) return answer(409, { resend: result.resend });
    // Only a batch applied whole is remembered: after a resend answer the same key may come again.
    if (key !== undefined) seen.add(key);
    return answer(200, { applied: result.applied });
  }

  function safely(request: ReceiverRequest): ReceiverAnswer {
    try {
      return handle(request);
    } catch (error) {
      return answer(500, { error: (error as Error).message });
    }
  }

  return {
    inventory,
    handle: safely,
    async node(req, res) {
      let body: Buffer;
      if (Buffer.isBuffer(req.body)) body = req.body;
      else {
        const chunks: Buffer[] = [];
        let length = 0;
        for await (const chunk of req as AsyncIterable<Buffer>) {
          length += chunk.length;
          if (length > maxBodyBytes) {
            res.writeHead(413, JSON_HEADERS).end(JSON.stringify({ error: `the body is larger than ${maxBodyBytes} bytes` }));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        }
        body = Buffer.concat(chunks);
      }
      const out = safely({ headers: req.headers, body });
      res.writeHead(out.status, out.headers).end(out.body);
    },
    async fetch(request) {
      const out = safely({ headers: request.headers, body: Buffer.from(await request.arrayBuffer()) });
      return new Response(out.body, { status: out.status, headers: out.headers });
    },
    fastify(request, reply) {
      const body = request.body;
      const out =
        Buffer.isBuffer(body) || typeof body === 'string'
          ? safely({ headers: request.headers, body })
          : answer(500, { error: 'the body was parsed before the receiver saw it: register a buffer content type parser (docs/receiver.md)' });
      reply.code(out.status);
      for (const [name, value] of Object.entries(out.headers)) reply.header(name, value);
      reply.send(out.body);
      return Promise.resolve();
    },
  };
}
