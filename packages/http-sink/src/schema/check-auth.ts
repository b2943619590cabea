/** The auth-related keys of an HTTP endpoint as a config file wrote them (after its schema parsed them). */
export interface HttpEndpointAuthKeys {
  readonly usernameVar?: string | undefined;
  readonly passwordVar?: string | undefined;
  readonly bearerTokenVar?: string | undefined;
  readonly bearerTokenFile?: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** A problem {@link checkHttpEndpointAuth} found: its key path inside the endpoint and what is wrong. */
export interface HttpEndpointFinding {
  readonly severity: 'error' | 'warning';
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * The auth rules of an HTTP endpoint, checked on the keys alone: one source of the Authorization header (basic
 * auth through `usernameVar`, `bearerTokenVar`, `bearerTokenFile` or an `Authorization` header), and
 * `passwordVar` only with `usernameVar`. The sink enforces the same exclusivity on the values when it is created
 * (`createHttpSink`); this lets a config loader point at the key before anything runs.
 */
export function checkHttpEndpointAuth(endpoint: HttpEndpointAuthKeys): HttpEndpointFinding[] {
  const findings: HttpEndpointFinding[] = [];
  const error = (path: readonly string[], message: string): void => void findings.push({ severity: 'error', path, message });
  const basic = endpoint.usernameVar !== undefined;
  const bearer = endpoint.bearerTokenVar !== undefined || endpoint.bearerTokenFile !== undefined;
  if (endpoint.bearerTokenVar !== undefined && endpoint.bearerTokenFile !== undefined) {
    error(['bearerTokenFile'], 'bearerTokenVar and bearerTokenFile are exclusive: set one');
  }
  if (basic && bearer) {
    error([endpoint.bearerTokenVar !== undefined ? 'bearerTokenVar' : 'bearerTokenFile'], 'basic auth (usernameVar) and a bearer token both set the Authorization header: set one');
  }
  if (endpoint.passwordVar !== undefined && !basic) findings.push({ severity: 'warning', path: ['passwordVar'], message: 'has no effect without usernameVar' });
  for (const header of Object.keys(endpoint.headers)) {
    if (header.toLowerCase() === 'authorization' && (basic || bearer)) {
      error(['headers', header], 'conflicts with usernameVar/bearerToken*, which set the Authorization header');
    }
  }
  return findings;
}
