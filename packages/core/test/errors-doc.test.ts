import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WATCH_PROXY_ERROR_CODES, type WatchProxyErrorCode } from '../src/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The rows of the code table in docs/errors.md: code -> class, in page order. */
function documentedCodes(): [string, string][] {
  const page = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const rows: [string, string][] = [];
  for (const line of page.split('\n')) {
    const row = /^\|\s*`(WP_ERR_[A-Z_]+)`\s*\|\s*`(\w+)`\s*\|(.*)\|(.*)\|\s*$/.exec(line);
    if (row === null) continue;
    expect(row[3]!.trim(), `${row[1]!}: when`).not.toBe('');
    expect(row[4]!.trim(), `${row[1]!}: what to do`).not.toBe('');
    rows.push([row[1]!, row[2]!]);
  }
  return rows;
}

/** Every TypeScript source file of every package, as [path relative to the repo, text]. */
function sources(): [string, string][] {
  const files: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push([path.slice(root.length), readFileSync(path, 'utf8')]);
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    try {
      walk(join(root, 'packages', pkg, 'src'));
    } catch {
      // a package without src/
    }
  }
  return files;
}

describe('docs/errors.md', () => {
  it('lists exactly the codes of WATCH_PROXY_ERROR_CODES, each once, with the class that carries it', () => {
    const rows = documentedCodes();
    expect(rows.map(([code]) => code)).toEqual(Object.keys(WATCH_PROXY_ERROR_CODES));
    expect(Object.fromEntries(rows)).toEqual(WATCH_PROXY_ERROR_CODES);
  });
});

describe('the code table', () => {
  const files = sources();
  const elsewhere = files.filter(([path]) => path !== join('packages', 'core', 'src', 'errors.ts'));

  it('holds every code the sources name', () => {
    const named = new Set(files.flatMap(([, text]) => [...text.matchAll(/\bWP_ERR_[A-Z_]+\b/g)].map((m) => m[0])));
    // A name ending in _ is a prefix (`code.startsWith('WP_ERR_WATCH_')`), not a code.
    expect([...named].filter((code) => !code.endsWith('_') && !(code in WATCH_PROXY_ERROR_CODES))).toEqual([]);
  });

  it('has no unused code: each is raised somewhere, by its code or by creating the class that only carries it', () => {
    const carriers = new Map<string, WatchProxyErrorCode[]>();
    for (const [code, cls] of Object.entries(WATCH_PROXY_ERROR_CODES)) carriers.set(cls, [...(carriers.get(cls) ?? []), code as WatchProxyErrorCode]);
    const unused = Object.entries(WATCH_PROXY_ERROR_CODES).filter(([code, cls]) => {
      if (elsewhere.some(([, text]) => new RegExp(`'${code}'`).test(text))) return false;
      const onlyCode = carriers.get(cls)?.length === 1;
      return !(onlyCode && elsewhere.some(([, text]) => new RegExp(`new ${cls}\\(`).test(text)));
    });
    expect(unused).toEqual([]);
  });
});
