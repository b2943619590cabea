// Writes the files generated from the CLI's sources (`pnpm --filter watch-proxy gen:schema`): the config file's
// JSON Schema (schema/watch-proxy.schema.json, from the zod schema in src/config), and for the Helm chart its
// values.schema.json (the same config schema under `config`, with the chart's own keys) and
// files/kube-resources.json (the built-in resource table its RBAC is rendered from, the one `watch-proxy rbac`
// uses). `--check` only compares and exits 1 on drift (CI). Runs the TypeScript sources directly on Node >= 22.18
// (type stripping); the sources import each other with `.js` suffixes, so this resolve hook maps them to `.ts`.
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
const { chartValuesJsonSchemaText } = await import('../src/chart/values-schema.ts');
const { kubeResourcesJsonText } = await import('../src/rbac/kube-resources.ts');
const targets = [
  ['schema/watch-proxy.schema.json', configJsonSchemaText()],
  ['../../charts/watch-proxy/values.schema.json', chartValuesJsonSchemaText()],
  ['../../charts/watch-proxy/files/kube-resources.json', kubeResourcesJsonText()],
];

for (const [path, text] of targets) {
  const target = new URL(`../${path}`, import.meta.url);
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== text) {
      console.error(`${target.pathname} is out of date: run \`pnpm --filter watch-proxy gen:schema\` and commit it`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(target, text);
    console.log(`wrote ${target.pathname}`);
  }
}
