import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Core's import boundaries: a change flows watch -> delta -> route -> deliver -> cache, and a folder may import
// only the folders listed here (besides its own files and the root leaves types.ts, errors.ts, logger.ts). A stage
// sees the types of the stage that hands it data and drives only the stage after it; payload/, kube/, expression/
// and internal/ are leaves any stage may use. Nothing inside a folder imports the composition root (every other
// root file: watch-proxy.ts and the modules it is made of, options.ts, index.ts). docs/architecture.md explains
// the table.
const coreFolders = {
  internal: [],
  kube: ['internal'],
  payload: ['internal'],
  expression: ['internal'],
  sink: ['payload', 'internal'],
  watch: ['kube', 'internal'],
  delta: ['watch', 'payload', 'expression', 'internal'],
  route: ['watch', 'delta', 'payload', 'expression', 'internal'],
  deliver: ['route', 'sink', 'cache', 'payload', 'internal'],
  cache: ['payload', 'kube', 'internal'],
  leader: ['kube', 'internal'],
  testing: ['watch', 'delta', 'sink', 'payload', 'internal'],
};
const coreBoundaries = Object.entries(coreFolders).map(([folder, allowed]) => {
  const forbidden = Object.keys(coreFolders).filter((other) => other !== folder && !allowed.includes(other));
  const patterns = [
    {
      regex: `^\\.\\./(?!(?:types|errors|logger)\\.js$)[^/]+\\.js$`,
      message: `${folder}/ must not import the composition root (see coreFolders in eslint.config.js).`,
    },
  ];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^\\.\\./(${forbidden.join('|')})/`,
      message: `${folder}/ may import only ${allowed.join(', ') || 'the root leaves'}: the import runs against the flow (see coreFolders in eslint.config.js).`,
    });
  }
  return { files: [`packages/core/src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'No enums: use string-literal unions.' },
        { selector: 'ExportAllDeclaration', message: 'No export *: export names explicitly.' },
      ],
    },
  },
  ...coreBoundaries,
  {
    // One job per module: no source file of a package above 400 lines. Blank lines and comments count, so the
    // limit is the figure `wc -l` shows (a file does not get under it by losing its why-comments); tests, scripts
    // and bench are not held to it.
    files: ['packages/*/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
