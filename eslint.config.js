// ESLint flat config: typescript-eslint with type information for the TypeScript tree.
// `npm run lint` runs this, the import-cycle check (madge, configured in .madgerc) and prettier --check.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'var/', '.bench/', 'coverage/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The three the project asked for by name.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `xs[i]!` documents that an index is known to be in range; tsconfig does not turn on
      // noUncheckedIndexedAccess, so the rule would call every one of them unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Async methods that implement a Promise-returning interface with synchronous work (SQLite).
      '@typescript-eslint/require-await': 'off',
      // MLLP framing and HL7 escaping match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read untyped JSON answers (admin API, parsed files) and poke at internals.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The console runs in the browser.
    files: ['engine/admin/console/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
