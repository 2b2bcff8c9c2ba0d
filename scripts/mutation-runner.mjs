// jest's test runner for mutation runs only (stryker.jest.config.js). With a mutant active, it
// runs the test files one at a time and stops at the first file with a failing test: the mutant
// is killed by then, and the files left would only load the modules under test again. Without
// one (Stryker's first, full run, which measures coverage) every file runs, as usual. jest's
// own `bail` does the same, but Stryker turns it off for the runs it drives.
import TestRunner from 'jest-runner'

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__'

export default class StopAtFirstFailure extends TestRunner {
  async runTests(tests, watcher, options) {
    if (process.env[ACTIVE_MUTANT] === undefined) return super.runTests(tests, watcher, options)
    let failed = false
    const offSuccess = this.on('test-file-success', ([, result]) => {
      if (result.numFailingTests > 0 || result.testExecError) failed = true
    })
    const offFailure = this.on('test-file-failure', () => {
      failed = true
    })
    try {
      for (const test of tests) {
        if (failed) break
        await super.runTests([test], watcher, options)
      }
    } finally {
      offSuccess()
      offFailure()
    }
  }
}
