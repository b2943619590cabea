import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { connect, headers } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '@watch-proxy/core';
import { delivered, partial, rejected, retryable } from '@watch-proxy/core/sink';
import type { Batch, Change, SendContext, SendOutcome, Sink, SinkLifecycleContext } from '@watch-proxy/core';
import { DEFAULT_SUBJECT, encodeMessage, kvKey, messageId, subjectFilter, subjectFor, subjectTemplateProblem } from './encode-message.js';
import type { NatsSinkOptions } from './options.js';

/** Default of `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default of `stream`. */
export const DEFAULT_STREAM = 'WATCH_PROXY';

/** The sink returned by {@link createNatsSink}: a core `Sink` plus where it publishes. */
export interface NatsSink extends Sink<Change> {
  /** The servers, comma-separated, as used in messages. */
  readonly target: string;
  /** The subject of a change. */
  subjectOf(change: Pick<Change, 'resource' | 'event'>): string;
}

interface Session {
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  readonly kv: KV | undefined;
}

/**
 * Creates the NATS JetStream sink: one message per change on `watch-proxy.<cluster>.<resource>.<event>`
 * (configurable), with a message id JetStream de-duplicates on (the same change re-sent after a restart is dropped
 * by the server), delivered once JetStream acknowledged it; optionally the latest state of each object in a KV
 * bucket (key: uniqueId), deletes as KV deletes. Options are checked now; no network I/O happens before `start()`.
 *
 * `start()` connects and checks that a stream captures the subjects (and that the KV bucket exists), creating
 * them when allowed; it rejects otherwise. `send` publishes every change, waits for every acknowledgement and
 * classifies: a message over the server's max_payload is rejected alone, the rest delivered; anything else
 * (no stream, timeouts, a server restart) is retryable. An abort closes the connection; the next send opens one.
 *
 * @throws ConfigError (`WP_ERR_CONFIG_INVALID`) for invalid options, naming the option.
 */
export function createNatsSink(options: NatsSinkOptions): NatsSink {
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  if (servers.length === 0 || servers.some((server) => server === '')) throw configError('servers', 'servers must list at least one URL');
  const template = options.subject ?? DEFAULT_SUBJECT;
  const subjectProblem = subjectTemplateProblem(template);
  if (subjectProblem !== undefined) throw configError('subject', subjectProblem);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw configError('timeoutMs', `timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  if ((options.user === undefined) !== (options.pass === undefined)) throw configError('user', 'user and pass go together');
  const name = options.name ?? `nats:${template}`;
  const clusterName = options.clusterName === undefined || options.clusterName === '' ? 'default' : options.clusterName;
  const stream = options.stream ?? DEFAULT_STREAM;
  const format = options.format ?? 'watch-proxy';
  if (format !== 'watch-proxy' && format !== 'cloudevents') throw configError('format', `format must be "watch-proxy" or "cloudevents", got ${JSON.stringify(format)}`);
  const target = servers.join(',');
  const connectOptions: ConnectionOptions = {
    servers,
    timeout: timeoutMs,
    name: 'watch-proxy',
    // Keep reconnecting across a server restart; a publish meanwhile times out and core retries it.
    maxReconnectAttempts: -1,
    ...(options.user === undefined ? {} : { user: options.user, pass: options.pass! }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.tls === undefined || options.tls === false ? {} : { tls: options.tls === true ? {} : { ...options.tls } }),
  };

  let session: Promise<Session> | undefined;

  const open = async (): Promise<Session> => {
    const connection = await connect(connectOptions);
    const js = jetstream(connection, { timeout: timeoutMs });
    const kv = options.kvBucket === undefined ? undefined : await new Kvm(js).open(options.kvBucket);
    return { connection, js, kv };
  };
  const current = (): Promise<Session> => {
    session ??= open().catch((error: unknown) => {
      session = undefined;
      throw error;
    });
    return session;
  };
  const discard = (): void => {
    const old = session;
    session = undefined;
    void old?.then((s) => s.connection.close()).catch(() => undefined);
  };

  const sendBatch = async (batch: Batch<Change>): Promise<SendOutcome> => {
    const { js, kv } = await current();
    const items = batch.items;
    const failures = new Map<number, unknown>();
    // A proxy watching several clusters names each batch's: the subject's cluster token and CloudEvents `source`.
    const cluster = batch.cluster?.name ?? clusterName;
    const messages = items.map((change) => encodeMessage(change, format, cluster, batch.cluster?.uid));
    // Published in order on one connection, so JetStream stores them in order; then every ack is awaited.
    const acks = items.map((change, index) => {
      const { data, contentType } = messages[index]!;
      const options = { msgID: messageId(change), timeout: timeoutMs };
      if (contentType === undefined) return js.publish(subjectFor(template, cluster, change), data, options);
      const h = headers();
      h.set('content-type', contentType);
      return js.publish(subjectFor(template, cluster, change), data, { ...options, headers: h });
    });
    (await Promise.allSettled(acks)).forEach((result, index) => {
      if (result.status === 'rejected') failures.set(index, result.reason);
    });
    if (kv !== undefined) {
      const writes = items.map((change, index) => {
        if (failures.has(index)) return Promise.resolve();
        const key = kvKey(change.uniqueId);
        return change.event === 'delete' ? kv.delete(key) : kv.put(key, messages[index]!.data).then(() => undefined);
      });
      (await Promise.allSettled(writes)).forEach((result, index) => {
        if (result.status === 'rejected') failures.set(index, result.reason);
      });
    }
    if (failures.size === 0) return delivered();
    const tooLarge = [...failures].filter(([, error]) => isTooLarge(error)).map(([index]) => index);
    const error = describeFailures(failures, batch, target);
    if (tooLarge.length === failures.size && failures.size === items.length) return rejected(error);
    if (failures.size === items.length) {
      discard();
      return retryable(error);
    }
    return partial([...failures.keys()].sort((a, b) => a - b), error);
  };

  return {
    name,
    target,
    subjectOf: (change) => subjectFor(template, clusterName, change),
    // Core's attempt timeout grows to this (plus a margin), so an acknowledgement timing out is classified here.
    timeoutMs,
    ...(options.limits === undefined ? {} : { limits: options.limits }),

    async start(ctx: SinkLifecycleContext): Promise<void> {
      const check = async (): Promise<void> => {
        const connection = await connect(connectOptions);
        try {
          const manager = await jetstreamManager(connection, { timeout: timeoutMs });
          const filter = subjectFilter(template);
          const found = await manager.streams.find(filter).catch(() => undefined);
          if (found === undefined) {
            if (options.createStream !== true) throw new Error(`no JetStream stream captures "${filter}" (create one, or set createStream)`);
            await manager.streams.add({ name: stream, subjects: [filter] });
          }
          if (options.kvBucket !== undefined) {
            const kvm = new Kvm(connection);
            if (options.createKvBucket === true) await kvm.create(options.kvBucket);
            else await (await kvm.open(options.kvBucket)).status();
          }
        } finally {
          await connection.close();
        }
      };
      try {
        await untilAborted(check(), ctx.signal);
      } catch (error) {
        throw new Error(`nats sink ${name}: servers ${target}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    },

    async send(batch: Batch<Change>, ctx: SendContext): Promise<SendOutcome> {
      if (ctx.signal.aborted) return retryable(abortError(ctx.signal, target));
      try {
        return await untilAborted(sendBatch(batch), ctx.signal);
      } catch (error) {
        discard();
        if (ctx.signal.aborted) return retryable(abortError(ctx.signal, target));
        return retryable(new Error(`nats ${target}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    },

    async close(ctx: SinkLifecycleContext): Promise<void> {
      const old = session;
      session = undefined;
      if (old === undefined) return;
      const connection = await old.then((s) => s.connection).catch(() => undefined);
      if (connection === undefined) return;
      await untilAborted(connection.drain(), ctx.signal).catch(() => connection.close());
    },
  };
}

function isTooLarge(error: unknown): boolean {
  return /max.?payload/i.test(error instanceof Error ? error.message : String(error));
}

function describeFailures(failures: ReadonlyMap<number, unknown>, batch: Batch<Change>, target: string): Error {
  const [firstIndex, firstError] = [...failures][0]!;
  const message = firstError instanceof Error ? firstError.message : String(firstError);
  const tooLarge = [...failures].filter(([, error]) => isTooLarge(error)).map(([index]) => batch.items[index]!.key);
  const large = tooLarge.length === 0 ? '' : `; over the server's max_payload, not sent: ${tooLarge.join(', ')}`;
  return new Error(`nats ${target}: ${failures.size} of ${batch.items.length} changes failed, first ${batch.items[firstIndex]!.key}: ${message}${large}`, {
    cause: firstError,
  });
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortError(signal: AbortSignal, target: string): Error {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new Error(`nats ${target}: attempt aborted (${reason})`, { cause: signal.reason });
}

/** A refused option: `reason` is the whole sentence, which names the option; the message adds `nats sink: `. */
function configError(option: string, reason: string): ConfigError {
  return new ConfigError(option, reason, { message: `nats sink: ${reason}` });
}
