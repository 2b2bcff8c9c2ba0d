// jest's test sequencer for `npm test` (jest.config.js). jest starts the slowest files first when
// its cache says how long each took, so the workers finish together; on a fresh clone (CI, a
// new contributor) there is no cache, and jest orders by file size instead. The fault matrix's
// 40 lanes then started beside short e2e files and made them three to four times slower: with
// 5 workers on 2 cores, npm test took 8 min 57 s from a cold cache against 7 min 18 s in this
// order. This sequencer falls back to the seconds each file took in a measured run
// (scripts/test-durations.json) when jest's cache has no figure, so a fresh clone runs in the
// order a warm one does. A file in neither runs first, as jest runs files it has not timed.
//
// Refresh the table after a change that moves the figures a lot:
//   npm test -- --json --outputFile=reports/jest.json
//   node scripts/test-sequencer.mjs reports/jest.json > scripts/test-durations.json
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import jestSequencer from '@jest/test-sequencer'

export const DURATIONS = 'scripts/test-durations.json'

// A CommonJS module: its class is the `default` of what Node imports.
const TestSequencer = jestSequencer.default ?? jestSequencer

export default class MeasuredFirst extends TestSequencer {
  constructor(options) {
    super(options)
    this.rootDir = options.globalConfig.rootDir
    this.measured = readDurations(this.rootDir)
  }

  /** jest's figure from its cache when it has one, else the measured seconds (as ms). */
  time(test) {
    const cached = super.time(test)
    if (cached !== undefined) return cached
    const seconds = this.measured[fileKey(this.rootDir, test.path)]
    return seconds === undefined ? undefined : seconds * 1000
  }
}

/** The table, or none when the file is missing; a table that does not parse fails the run. */
function readDurations(rootDir) {
  const file = `${rootDir}/${DURATIONS}`
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
}

/** A test file as the table names it: relative to the root, forward slashes. */
function fileKey(rootDir, path) {
  return relative(rootDir, path).split('\\').join('/')
}

/** The table from a `jest --json` result: each test file's seconds, slowest first. */
export function durationsOf(result, rootDir) {
  const rows = result.testResults
    .map(file => [fileKey(rootDir, file.name), Math.round((file.endTime - file.startTime) / 1000)])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  return Object.fromEntries(rows)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node scripts/test-sequencer.mjs <jest --json output file>')
    process.exit(2)
  }
  const result = JSON.parse(readFileSync(file, 'utf8'))
  console.log(JSON.stringify(durationsOf(result, process.cwd()), null, 2))
}
