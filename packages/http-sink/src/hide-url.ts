/**
 * `error` with every occurrence of `href` in its message replaced by `shown`: fetch puts the full request URL in
 * its errors ("request to https://host/path failed"), and a webhook URL carries its token in the path or query,
 * while error chains (cause included) reach logs. Returns `error` itself when its message has no URL; otherwise
 * a copy keeping its name, `code`, `errno`, `type` and `cause` (what classification and logs read).
 */
export function hideUrl(error: unknown, href: string, shown: string): unknown {
  if (!(error instanceof Error) || !error.message.includes(href)) return error;
  const copy = new Error(error.message.replaceAll(href, shown), error.cause === undefined ? undefined : { cause: error.cause });
  copy.name = error.name;
  const { code, errno, type } = error as Error & { code?: unknown; errno?: unknown; type?: unknown };
  return Object.assign(copy, code === undefined ? {} : { code }, errno === undefined ? {} : { errno }, type === undefined ? {} : { type });
}
