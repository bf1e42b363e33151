/** Jest runs the TypeScript sources through swc; workspace packages resolve to their `src`. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/subgraphs', '<rootDir>/supergraph', '<rootDir>/kong', '<rootDir>/scripts', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    '^@x/kit$': '<rootDir>/packages/kit/src/index.ts',
    '^@x/kit/(.*)$': '<rootDir>/packages/kit/src/$1',
    // Prisma's generated client imports its own files with a .js suffix.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // Services and brokers are shared: files run one at a time on this 2-core machine.
  maxWorkers: 1,
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
