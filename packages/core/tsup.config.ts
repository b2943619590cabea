import { defineConfig } from 'tsup';

// One entry per subpath of package.json `exports` (api-report.md lists what each exports).
const entries = ['sink', 'payload', 'watch', 'expression', 'leader', 'kube', 'cache', 'testing'] as const;

export default defineConfig({
  entry: { index: 'src/index.ts', ...Object.fromEntries(entries.map((e) => [`${e}/index`, `src/${e}/index.ts`])) },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  external: ['vitest'],
});
