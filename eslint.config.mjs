// ESLint (flat config): the recommended JavaScript rules and typescript-eslint's strict set (without type
// information, which would make every run slow), formatting left to Prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', '**/node_modules/', 'coverage/', 'build/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    // Plain JavaScript here is CommonJS for Node (test apps loaded by the dev host, loader hooks).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    // The dashboard runs in the browser.
    files: ['dashboard/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
  {
    // jest.mock factories are hoisted above imports and must require() what they return.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring a field away, an ignored parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Validation matches control characters on purpose (ids, query text, twin keys that must not contain them).
      'no-control-regex': 'off',
      // Assertions mark invariants the types cannot carry (a Map entry looked up right after it was set).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Deleting keys by name is what JSON merge patch (RFC 7386) and forgetting require-cache entries are.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
);
