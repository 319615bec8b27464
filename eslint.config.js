import js from '@eslint/js';
import globals from 'globals';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';
import { featureBoundaries } from './scripts/eslint/feature-boundaries.js';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.tools/',
      '.run/',
      'coverage/',
      'reports/',
      'charts/trading-backend/',
      'load-tests/k6/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { local: { rules: { 'feature-boundaries': featureBoundaries } } },
    rules: {
      'local/feature-boundaries': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through core/platform/config/env.ts.',
        },
      ],
    },
  },
  {
    // The code that serves requests meets user input: none of its regular expressions may take
    // super-linear time on any input (quadratic backtracking blocked the event loop for seconds).
    files: ['api/**/*.ts', 'core/**/*.ts', 'worker/**/*.ts', 'operator/**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    // The config module is the one place that reads the environment; scripts and tests set it up.
    files: ['core/platform/config/**', 'scripts/**', 'test/**', 'charts/test/**', '**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
