// The jest config Stryker runs (stryker.config.mjs): the unit project of jest.config.js alone.
// Stryker reads it inside each sandbox, so rootDir is the sandbox with its mutated sources.
import jestConfig from './jest.config.js'

const unit = jestConfig.projects.find(p => p.displayName === 'unit')

/** @type {import('jest').Config} */
export default {
  ...unit,
  displayName: undefined,
  // Per mutant, only the test files that hold a test covering it (see the file's comment).
  testSequencer: '<rootDir>/scripts/mutation-sequencer.mjs',
  // Per mutant, test files one at a time up to the first failure.
  runner: '<rootDir>/scripts/mutation-runner.mjs'
}
