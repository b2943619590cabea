/** Placeholder in `topic` that makes one topic per resource. */
export const RESOURCE_PLACEHOLDER = '{resource}';

const LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;

/** The topic of a resource: `{resource}` replaced by the resource name, characters Kafka refuses as `_`. */
export function topicFor(template: string, resource: string): string {
  return template.split(RESOURCE_PLACEHOLDER).join(resource.replace(/[^a-zA-Z0-9._-]/g, '_'));
}

/** Why `template` cannot name a Kafka topic, or undefined when it can. */
export function topicTemplateProblem(template: string): string | undefined {
  const sample = topicFor(template, 'resource');
  if (sample === '.' || sample === '..' || !LEGAL.test(sample)) {
    return `topic "${template}" is not a valid Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, plus ${RESOURCE_PLACEHOLDER})`;
  }
  return undefined;
}
