import type { ResourceRef } from '../types.js';

/** What a redacted value is replaced with. Keys stay, so a receiver still sees which entries exist. */
export const REDACTED = '<redacted>';

/** kubectl's copy of the applied manifest: for an applied Secret it holds the Secret's data in clear text. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Per-resource switches; both default to the secure choice (off). */
export interface RedactionOptions {
  /** Keep Secret `data`/`stringData` values and the last-applied annotation. Default: false. */
  readonly includeSecretData: boolean;
  /** Keep `metadata.managedFields` (large and noisy: it changes on every write). Default: false. */
  readonly includeManagedFields: boolean;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Redacts `object` in place. Runs before pruning and fingerprinting, so secrets never reach a hash or a sink.
 * The delta engine applies the same rules while copying (see `compileProjection`); this in-place form is the
 * reference its tests compare against.
 */
export function redact(object: Record<string, unknown>, ref: ResourceRef, options: RedactionOptions): void {
  const metadata = record(object['metadata']);
  if (!options.includeManagedFields && metadata !== undefined) delete metadata['managedFields'];
  if (options.includeSecretData) return;
  const annotations = record(metadata?.['annotations']);
  if (annotations !== undefined && Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) {
    annotations[LAST_APPLIED_ANNOTATION] = REDACTED;
  }
  if (ref.group === '' && ref.resource === 'secrets') {
    for (const field of ['data', 'stringData']) {
      const values = record(object[field]);
      if (values !== undefined) for (const key of Object.keys(values)) values[key] = REDACTED;
    }
  }
}
