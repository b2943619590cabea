import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the `@watch-proxy/source` export condition),
// so `pnpm test` needs no build of the libraries; the CLI's end-to-end tests spawn the built bin.
const conditions = ['@watch-proxy/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    // Two files at a time on any machine (the default, cores - 1, runs one at a time on 2 cores): integration
    // files spend much of their time waiting on their own apiserver, broker or daemon and share nothing, so two
    // overlap well (2-core machine: 414 s instead of 720 s); a third only adds contention (441 s).
    maxWorkers: 2,
    // The JSON results give .ci/run its closing `N passed, N failed` line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/cluster/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          // The CLI tests spawn the built bin: build the packages when a dist/ is missing or stale.
          globalSetup: ['scripts/ensure-built.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'test/cluster/test/**/*.int.test.ts', 'examples/*/test/**/*.int.test.ts', 'bench/test/**/*.int.test.ts', 'test/brokers/test/**/*.int.test.ts', 'scripts/test/**/*.int.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The end-to-end tests run the built bin too; CI's build step just built it, so this is usually a no-op.
          globalSetup: ['scripts/ensure-built.ts', 'test/cluster/src/global-setup.ts', 'test/brokers/src/global-setup.ts'],
        },
      },
    ],
  },
});
