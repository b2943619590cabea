export { DEFAULT_MAX_RECORD_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, createKafkaSink } from './kafka-sink.js';
export type { KafkaSink } from './kafka-sink.js';
export { encodeRecord } from './encode-record.js';
export type { KafkaRecord } from './encode-record.js';
export type {
  KafkaPayloadFormat,
  KafkaSaslMechanism,
  KafkaSaslOptions,
  KafkaSinkOptions,
  KafkaTlsOptions,
  KafkaTopicSettings,
} from './options.js';
export { RESOURCE_PLACEHOLDER, topicFor, topicTemplateProblem } from './topic-name.js';
