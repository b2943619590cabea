/**
 * A valid HTTP header name: an RFC 9110 token. Checked by the sink on its options and by the config file schema,
 * so a bad name fails validation with its position instead of failing the sink's creation.
 */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
