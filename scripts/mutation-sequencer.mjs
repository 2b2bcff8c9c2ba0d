// jest's test sequencer for mutation runs only (stryker.jest.config.js). For each mutant Stryker
// names the tests that cover it (jest --testNamePattern), but jest still loads every related
// test file, and each load imports the modules under test afresh. This sequencer drops the test
// files that hold none of the named tests, using the list scripts/mutation-runner.mjs wrote
// during Stryker's first, full run. A file missing from that list always runs, and without a
// name pattern (that first run; static mutants) every file runs, so the filter can only skip
// files whose tests could not have been chosen anyway.
// It also puts first the test files named after the mutated file (src/engine/plan.ts: plan*.test.ts),
// which most often kill its mutants: scripts/mutation-runner.mjs stops at the first failure.
import { existsSync, readFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { TEST_NAMES } from './mutation-runner.mjs'

export default class CoveringFilesOnly {
  constructor({ globalConfig }) {
    this.rootDir = globalConfig.rootDir
    this.pattern = globalConfig.testNamePattern
      ? new RegExp(globalConfig.testNamePattern, 'i')
      : undefined
    // Stryker names the mutated file as jest's argument, with --findRelatedTests.
    const [mutated] = globalConfig.nonFlagArgs ?? []
    this.own = mutated ? basename(mutated).replace(/\.ts$/, '') : undefined
    const listFile = join(this.rootDir, TEST_NAMES)
    this.names = existsSync(listFile) ? JSON.parse(readFileSync(listFile, 'utf8')) : {}
  }

  sort(tests) {
    const { pattern, names, own } = this
    const chosen = pattern
      ? tests.filter(test => {
          const held = names[relative(this.rootDir, test.path)]
          return held === undefined || held.some(name => pattern.test(name))
        })
      : tests
    if (own === undefined) return chosen
    const isOwn = test => basename(test.path).startsWith(own)
    return [...chosen.filter(isOwn), ...chosen.filter(test => !isOwn(test))]
  }

  cacheResults() {}
}
