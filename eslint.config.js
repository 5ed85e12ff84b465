import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', '.tap/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests poke at JSON from real HTTP responses; untyped access there is the point.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The core is a pure state machine: time and randomness come in with each command
    // (docs/architecture.md). `new Date(ms)` of a time it was given is a conversion, allowed.
    files: ['server/core/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "server/core reads no clock: use the command's `now`.",
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "server/core reads no clock: use the command's `now`.",
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'server/core draws no randomness: take a seed from CoreOptions.',
        },
        {
          selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
          message: "server/core reads no clock: use the command's `now`.",
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:fs',
            'node:net',
            'node:http',
            'node:child_process',
            'node:worker_threads',
          ],
        },
      ],
    },
  },
  {
    // The examples are plain Node scripts a user copies; they run as ES modules on Node.
    files: ['examples/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly' },
    },
  },
);
