import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** This package's version, from its package.json. */
export const version: string = pkg.version;
