// Two projects: fast unit tests (fakes, fake clock, aws-sdk-client-mock) and end-to-end tests
// that run the bundled dist/index.js against moto's server mode on 127.0.0.1.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.check.json', diagnostics: { ignoreCodes: ['TS151001'] } }
]
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node'
}

/** @type {import('jest').Config} */
export default {
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  // Slowest files first, from jest's cache or, on a fresh clone, a measured run (see the file).
  testSequencer: '<rootDir>/scripts/test-sequencer.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/e2e/support/global-setup.ts',
      // No testTimeout here: jest 30 ignores it per project. Each e2e file calls useE2e(),
      // which sets it.
      globalTeardown: '<rootDir>/__tests__/e2e/support/global-teardown.ts'
    }
  ]
}
