import { BlockList, isIP } from 'node:net';
import { configError } from './config-error.js';

/** The environment the proxy variables are read from. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/**
 * The proxy for requests to `target`, read as Go's `net/http.ProxyFromEnvironment` (the original's HTTP client)
 * reads it: `HTTPS_PROXY` for `https:` targets, `HTTP_PROXY` for `http:` ones, each upper case first, then lower
 * case; a value without a scheme means `http://`. No proxy for `localhost` and loopback addresses, nor for a
 * target `NO_PROXY` (or `no_proxy`) matches: `*` (everything); a domain, matching itself and its subdomains
 * (`example.com`), or subdomains only with a leading dot or `*.` (`.example.com`); an IP address or a CIDR
 * range; each optionally with `:port`. Comma separated, case-insensitive.
 *
 * @returns the proxy URL (it may carry credentials: never log it), or `undefined` to connect directly.
 * @throws WatchProxyError `WP_ERR_CONFIG_INVALID` naming the variable (never its value) when the proxy is not an
 *   `http:` or `https:` URL.
 */
export function proxyFor(target: URL, env: ProxyEnv): URL | undefined {
  const https = target.protocol === 'https:';
  const [variable, value] = https ? firstSet(env, 'HTTPS_PROXY', 'https_proxy') : firstSet(env, 'HTTP_PROXY', 'http_proxy');
  if (value === undefined) return undefined;
  const host = hostOf(target);
  const port = target.port === '' ? (https ? '443' : '80') : target.port;
  if (host === 'localhost' || isLoopback(host)) return undefined;
  const [, noProxy] = firstSet(env, 'NO_PROXY', 'no_proxy');
  if (noProxy !== undefined && excluded(host, port, noProxy)) return undefined;
  return parseProxy(variable, value);
}

/** The proxy as shown in messages: scheme, host and port only. */
export function proxyTarget(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

function firstSet(env: ProxyEnv, upper: string, lower: string): [string, string | undefined] {
  const a = env[upper];
  if (a !== undefined && a !== '') return [upper, a];
  const b = env[lower];
  return [lower, b === '' ? undefined : b];
}

function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

function parseProxy(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    // Not the value: it may carry credentials.
    throw configError(variable, 'not a valid proxy URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(variable, `proxy scheme ${url.protocol} is not supported (http: or https:); exempt the endpoint's host with NO_PROXY to connect directly`);
  }
  return url;
}

function excluded(host: string, port: string, noProxy: string): boolean {
  const ip = isIP(host);
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      // CIDR: matches IP targets in the range.
      if (ip !== 0 && inCidr(host, ip, entry)) return true;
      continue;
    }
    let entryPort: string | undefined;
    const portMatch = /^(.*?):(\d+)$/.exec(entry);
    if (portMatch !== null && !(isIP(entry) === 6)) {
      entry = portMatch[1] ?? '';
      entryPort = portMatch[2];
    }
    if (entry.startsWith('[') && entry.endsWith(']')) entry = entry.slice(1, -1);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(entry) !== 0) {
      if (ip !== 0 && sameIp(entry, host)) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) {
      if (host.endsWith(entry)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function inCidr(host: string, family: number, cidr: string): boolean {
  const [network = '', bits = ''] = cidr.split('/');
  const prefix = Number(bits);
  const networkFamily = isIP(network);
  if (networkFamily === 0 || !Number.isInteger(prefix)) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network, prefix, networkFamily === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function sameIp(a: string, b: string): boolean {
  const list = new BlockList();
  const family = isIP(a) === 4 ? 'ipv4' : 'ipv6';
  list.addAddress(a, family);
  return list.check(b, isIP(b) === 4 ? 'ipv4' : 'ipv6');
}
