// The rules a config checks a Kafka endpoint by, without the Kafka client: the CLI validates every config with
// these and imports the sink itself only when an endpoint needs it (the client costs ~0.7 s of start-up).
export { topicTemplateProblem } from '../topic-name.js';
