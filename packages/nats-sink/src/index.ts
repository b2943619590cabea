export { DEFAULT_STREAM, DEFAULT_TIMEOUT_MS, createNatsSink } from './nats-sink.js';
export type { NatsSink } from './nats-sink.js';
export { DEFAULT_SUBJECT, encodeMessage, kvKey, messageId, subjectFilter, subjectFor, subjectTemplateProblem } from './encode-message.js';
export type { NatsPayloadFormat, NatsSinkOptions, NatsTlsOptions } from './options.js';
