// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'data-notes/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The example web app of cookie mode runs in the browser, as a classic script.
    files: ['examples/web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
      'import-x/ignore': ['node_modules'],
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // The layers: http → schema → auth → store. auth and store know nothing of GraphQL,
      // and nothing below http knows the transport.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/schema', from: './src/http', message: 'schema/ sits below http/' },
            { target: './src/plugins', from: './src/http', message: 'plugins/ sit below http/' },
            { target: './src/auth', from: './src/http', message: 'auth/ sits below http/' },
            { target: './src/store', from: './src/http', message: 'store/ sits below http/' },
            { target: './src/auth', from: './src/schema', message: 'auth/ must not know GraphQL' },
            { target: './src/auth', from: './src/plugins', message: 'auth/ must not know GraphQL' },
            {
              target: './src/store',
              from: './src/schema',
              message: 'store/ must not know GraphQL',
            },
            { target: './src/store', from: './src/auth', message: 'store/ sits below auth/' },
            {
              target: './src/auth',
              from: './src/mail',
              message: 'auth/ knows only its Mailer port',
            },
            { target: './src/mail', from: './src/schema', message: 'mail/ is an adapter of auth/' },
            { target: './src/mail', from: './src/http', message: 'mail/ is an adapter of auth/' },
            { target: './src', from: './test', message: 'src must not import test helpers' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/auth/**/*.ts', 'src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['graphql', 'graphql/*', 'type-graphql', '@apollo/*', '@graphql-tools/*'] },
      ],
    },
  },
);
