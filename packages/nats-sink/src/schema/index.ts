// The rules a config checks a NATS endpoint by, without the NATS client: the CLI validates every config with
// these and imports the sink itself only when an endpoint needs it.
export { subjectTemplateProblem } from '../encode-message.js';
