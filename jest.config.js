/**
 * Two projects: every test on the embedded database, and the behaviour, contract, scale,
 * library and security tests again on PostgreSQL + Redis when TEST_DATABASE_URL and
 * TEST_REDIS_URL are set.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const base = {
  testEnvironment: 'node',
  transform,
  setupFiles: ['reflect-metadata'],
  // The example apps import the library by its name, as an outside project does: here, its source.
  moduleNameMapper: { '^graphql-jwt-auth$': '<rootDir>/src/index.ts' },
};

const embedded = {
  ...base,
  displayName: 'embedded',
  testMatch: [
    '<rootDir>/src/**/*.test.ts',
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/examples/client/src/**/*.test.ts',
    '<rootDir>/examples/notes/test/**/*.test.ts',
  ],
  // test/scale needs PostgreSQL and Redis, but for the files that skip their cases themselves.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/scale/(?!role-changes\\.test\\.ts$)'],
};
const postgres = {
  ...base,
  displayName: 'postgres+redis',
  testMatch: [
    '<rootDir>/test/http/**/*.test.ts',
    '<rootDir>/test/contracts/**/*.test.ts',
    '<rootDir>/test/scale/**/*.test.ts',
    '<rootDir>/test/library/**/*.test.ts',
    '<rootDir>/test/security/**/*.test.ts',
    '<rootDir>/examples/notes/test/**/*.test.ts',
  ],
  setupFiles: [...base.setupFiles, '<rootDir>/test/support/backend-postgres.ts'],
};

const withServices = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);
if (!withServices) {
  if (process.env.CI === 'true') {
    throw new Error('CI=true needs TEST_DATABASE_URL and TEST_REDIS_URL (PostgreSQL and Redis).');
  }
  console.log(
    'Backends: embedded only; skipped postgres+redis (set TEST_DATABASE_URL and TEST_REDIS_URL).',
  );
}

/** @type {import('jest').Config} */
module.exports = {
  projects: withServices ? [embedded, postgres] : [embedded],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
