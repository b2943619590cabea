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
