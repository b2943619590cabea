// Writes schema/watch-proxy.schema.json from the zod schema in src/config (`pnpm --filter watch-proxy gen:schema`);
// `--check` only compares and exits 1 on drift (CI). Runs the TypeScript sources directly on Node >= 22.18 (type
// stripping); the sources import each other with `.js` suffixes, so this resolve hook maps them to `.ts`.
import { readFile, writeFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';
import { URL } from 'node:url';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(`${specifier.slice(0, -3)}.ts`, context);
      throw error;
    }
  },
});

const { configJsonSchemaText } = await import('../src/config/json-schema.ts');
const target = new URL('../schema/watch-proxy.schema.json', import.meta.url);
const text = configJsonSchemaText();

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== text) {
    console.error('schema/watch-proxy.schema.json is out of date: run `pnpm --filter watch-proxy gen:schema` and commit it');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, text);
  console.log(`wrote ${target.pathname}`);
}
