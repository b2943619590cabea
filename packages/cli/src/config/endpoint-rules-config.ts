/** An endpoint's CEL expressions as the normalized config holds them: the same three keys on every endpoint type. */

/** `remoteEndpoints[].filter`, `updateFilter` and `transform`: CEL source text, compiled when the file loads. */
export interface EndpointRulesConfig {
  /** Which objects the endpoint holds, over `object` and `resource`; `null` (default) = every object. */
  readonly filter: string | null;
  /** Whether an update is worth sending, over `object`, `oldObject` and `resource`; `null` (default) = every update. */
  readonly updateFilter: string | null;
  /** A map sent as each item's data instead of the object, over `object` and `resource`; `null` (default) = the object. */
  readonly transform: string | null;
}

/** The three keys of a parsed endpoint entry, absent ones as `null`. */
export function toEndpointRules(file: { readonly filter?: string | undefined; readonly updateFilter?: string | undefined; readonly transform?: string | undefined }): EndpointRulesConfig {
  return { filter: file.filter ?? null, updateFilter: file.updateFilter ?? null, transform: file.transform ?? null };
}
