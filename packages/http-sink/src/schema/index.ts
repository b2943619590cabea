// The ./schema entry: an HTTP endpoint's config file keys and rules, for a config loader (the watch-proxy CLI).
export { checkHttpEndpointAuth } from './check-auth.js';
export type { HttpEndpointAuthKeys, HttpEndpointFinding } from './check-auth.js';
export { httpEndpointFields } from './endpoint-schema.js';
export type { EndpointDurationOptions, EndpointFieldBuilders } from './endpoint-schema.js';
export { HEADER_NAME } from './header-name.js';
