// jest's test runner for mutation runs only (stryker.jest.config.js).
// Without an active mutant (Stryker's first, full run, which measures coverage) every file runs,
// as usual, and the runner writes down which test file holds which tests (TEST_NAMES, in the
// sandbox) for scripts/mutation-sequencer.mjs.
// With a mutant active, it runs the test files one at a time and stops at the first file with a
// failing test: the mutant is killed by then, and the files left would only load the modules
// under test again. jest's own `bail` does the same, but Stryker turns it off for its runs.
import { writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import TestRunner from 'jest-runner'

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__'
/** { "relative/test/file.ts": ["full name", …] }, in the rootDir (Stryker's sandbox). */
export const TEST_NAMES = '.mutation-test-names.json'

export default class StopAtFirstFailure extends TestRunner {
  async runTests(tests, watcher, options) {
    if (process.env[ACTIVE_MUTANT] === undefined) return this.#runAll(tests, watcher, options)
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

  async #runAll(tests, watcher, options) {
    const { rootDir } = this._globalConfig
    const names = {}
    const off = this.on('test-file-success', ([test, result]) => {
      names[relative(rootDir, test.path)] = result.testResults.map(t => t.fullName)
    })
    try {
      await super.runTests(tests, watcher, options)
    } finally {
      off()
    }
    writeFileSync(join(rootDir, TEST_NAMES), `${JSON.stringify(names, null, 1)}\n`)
  }
}
