/**
 * The `remoteEndpoints[]` entry of `type: nats`: the options of `@watch-proxy/nats-sink` as the file spells them.
 * Credentials are named (env vars), never written in the file or the URL.
 */
import { subjectTemplateProblem } from '@watch-proxy/nats-sink/schema';
import { z } from 'zod';

import { HOUR_MS, duration, endpointRouting, envVarName, flag, nonEmptyText } from './schema-fields.js';

/** The placeholders a subject template may hold. */
const SUBJECT_PLACEHOLDER = /\{(?:cluster|resource|event)\}/;

/** What follows a `subject` that is a plain prefix (no placeholder). */
export const SUBJECT_SUFFIX = '.{cluster}.{resource}.{event}';

/** Stream and KV bucket names as JetStream accepts them (a conservative subset: letters, digits, `-`, `_`). */
const JETSTREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function natsUrl(description: string) {
  return z.string().min(1).meta({ description }).superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL such as "nats://nats.messaging:4222" (or tls://)' });
      return;
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      ctx.addIssue({ code: 'custom', message: `must be a nats:// or tls:// URL, got ${url.protocol}//` });
    } else if (url.username !== '' || url.password !== '') {
      // A URL is logged and shown; the credentials would go with it.
      ctx.addIssue({ code: 'custom', message: 'must not hold credentials: use usernameVar/passwordVar or tokenVar' });
    } else if (url.hostname === '') {
      ctx.addIssue({ code: 'custom', message: 'must name a host' });
    }
  });
}

function jetStreamName(description: string) {
  return nonEmptyText(description).refine((value) => JETSTREAM_NAME.test(String(value)), {
    error: 'must be 1-255 letters, digits, "-" or "_"',
  });
}

const natsTlsSchema = z
  .union(
    [
      z.boolean(),
      z.strictObject({
        caFile: nonEmptyText('PEM file of CA certificates that verify the servers, instead of the system roots.').optional(),
        certFile: nonEmptyText('PEM client certificate for mutual TLS (with keyFile).').optional(),
        keyFile: nonEmptyText('PEM private key of certFile.').optional(),
      }),
    ],
    { error: 'expected true, false, or a mapping with caFile, certFile, keyFile' },
  )
  .optional()
  .meta({ description: 'TLS towards the servers: true (system roots) or a mapping of options. Default: as the URL says (tls:// is TLS).' });

/** One `remoteEndpoints[]` entry with `type: nats`. */
export const natsEndpointSchema = z
  .strictObject({
    type: z.literal('nats').meta({ description: 'Publish each change to NATS JetStream (message id for de-duplication), optionally keeping a KV bucket as the inventory.' }),
    name: nonEmptyText('Unique name of this endpoint in logs, metrics and the emit cache; keep it stable. Default "nats:<subject>".').optional(),
    url: z
      .union([natsUrl('A server URL.'), z.array(natsUrl('A server URL.')).min(1, { error: 'must list at least one URL' })], {
        error: (issue) => (issue.input === undefined ? 'is required' : 'expected a URL or a list of URLs'),
      })
      .meta({ description: 'The server URL, "nats://host:4222" ("tls://" for TLS), or a list of them (one cluster).' }),
    subject: nonEmptyText(
      'Subject of each change\'s message. A prefix ("watch-proxy", the default) is followed by ".{cluster}.{resource}.{event}"; a template with {cluster}, {resource} and {event} is used as written.',
    )
      .default('watch-proxy')
      .superRefine((value, ctx) => {
        const problem = subjectTemplateProblem(String(value));
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.replace(/^subject "[^"]*" /, '') });
      }),
    format: z
      .enum(['watch-proxy', 'cloudevents'])
      .default('watch-proxy')
      .meta({
        description:
          'Message format: "watch-proxy" (one watch-proxy payload item per message) or "cloudevents" (one CloudEvent 1.0 in structured mode, content-type application/cloudevents+json, as the CloudEvents NATS binding defines). Default watch-proxy.',
      }),
    stream: jetStreamName('The JetStream stream that must capture the subjects. Default "WATCH_PROXY".').default('WATCH_PROXY'),
    createStream: flag('Create the stream (capturing the subject with each placeholder as *) when none captures it. Default false.', false),
    kvBucket: jetStreamName('A KV bucket holding the latest state of each object (key: its uniqueId); a delete is a KV delete. Default: none.').optional(),
    createKvBucket: flag('Create kvBucket when it does not exist. Default false.', false),
    usernameVar: envVarName('Name of the environment variable holding the user name (one trailing newline is stripped).').optional(),
    passwordVar: envVarName('Name of the environment variable holding the password of usernameVar\'s user (one trailing newline is stripped).').optional(),
    tokenVar: envVarName('Name of the environment variable holding an authentication token (one trailing newline is stripped).').optional(),
    tls: natsTlsSchema,
    timeout: duration('How long to wait for the connection and for each acknowledgement, a Go duration, at most 1h. Default 10s.', {
      default: '10s',
      positive: true,
      max: { ms: HOUR_MS, text: '1h', why: 'one acknowledgement that may take longer holds back every later change to this endpoint' },
    }),
    ...endpointRouting,
  })
  .meta({ description: 'NATS JetStream: one message per change, and optionally a KV bucket that is the cluster\'s inventory. New.' });

/** The parsed `type: nats` entry. */
export type NatsEndpointFile = z.output<typeof natsEndpointSchema>;

/** The subject template of a `subject` value: a prefix gets the placeholders appended. */
export function subjectTemplate(subject: string): string {
  return SUBJECT_PLACEHOLDER.test(subject) ? subject : `${subject}${SUBJECT_SUFFIX}`;
}
