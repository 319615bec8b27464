// Jest runs the TypeScript sources as native ES modules (node --experimental-vm-modules, see
// scripts/test.sh): @swc/jest strips the types of each file and keeps `import`/`export` as they are,
// so top-level await and import.meta work as they do in production. Type-checking is `npm run typecheck`.
// Why this transform, the worker count and the timeouts: docs/architecture.md, "Testing".

/** @type {import('@swc/core').Options} */
const swc = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** What both projects share: ESM TypeScript, `.ts` import specifiers, plain Node globals. */
const typescript = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The sources import each other as `./file.ts` (Node runs them directly); Jest resolves the bare path.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.ts$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  testPathIgnorePatterns: ['/node_modules/', '/.tools/', '/dist/', '/.run/'],
};

// The tiers apart from `npm test` (scripts/test-tier.sh sets TEST_TIER): `image` runs the built image's
// entrypoints as containers, `cluster` a one-node cluster with a kubelet. Root, buildah and runc; minutes.
// eslint-disable-next-line no-restricted-properties -- the test runner's own switch, not app configuration
const tier = process.env.TEST_TIER;

/** @type {import('jest').Config} */
export default {
  projects: tier
    ? [{ ...typescript, displayName: tier, testMatch: [`<rootDir>/**/*.${tier}.test.ts`] }]
    : [
        {
          ...typescript,
          displayName: 'unit',
          // Pure logic: no PostgreSQL, Redis or external tools (`npm run test:unit`).
          testMatch: ['<rootDir>/**/*.test.ts'],
          testPathIgnorePatterns: [
            ...typescript.testPathIgnorePatterns,
            '\\.(int|image|cluster)\\.test\\.ts$',
          ],
        },
        {
          ...typescript,
          displayName: 'integration',
          // Real PostgreSQL, Redis, BullMQ, Prometheus, Helm and local upstream servers.
          testMatch: ['<rootDir>/**/*.int.test.ts'],
        },
      ],
  // Every hook and test has a deadline: a dependency that never answers fails the test with a message.
  testTimeout: 60_000,
  // Two cores: two test files at a time, each with its own schema, key prefix and queue prefix.
  maxWorkers: 2,
  reporters: [
    'default',
    ['jest-junit', { outputDirectory: 'reports', outputName: 'junit.xml', addFileAttribute: 'true' }],
  ],
  collectCoverageFrom: ['{api,core,worker}/**/*.ts', '!**/*.test.ts', '!**/test/**'],
  coverageProvider: 'v8',
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov'],
  // What the whole suite reached when it moved to Jest, rounded down; raise them, never lower them.
  coverageThreshold: { global: { statements: 91, branches: 90, functions: 91, lines: 91 } },
};
