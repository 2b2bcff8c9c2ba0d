// jest's test sequencer for `npm test` (jest.config.js). jest starts the slowest files first when
// its cache says how long each took, so the workers finish together; on a fresh clone (CI, a
// new contributor) there is no cache, and jest orders by file size instead. The suite's length
// is then set by where the long, waiting files land: the fault matrix's 40 lanes starting beside
// five short e2e files made them three to four times slower, and npm test took 9 minutes on 2
// cores instead of 7. This sequencer falls back to the seconds each file took in a measured run
// (scripts/test-durations.json) when jest's cache has no figure, so a fresh clone runs in the
// order a warm one does. A file in neither runs first, as jest runs files it has not timed.
//
// Refresh the table after a change that moves the figures a lot:
//   npm test -- --json --outputFile=reports/jest.json
//   node scripts/test-sequencer.mjs reports/jest.json > scripts/test-durations.json
import { readFileSync } from 'node:fs'
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
    const seconds = this.measured[relative(this.rootDir, test.path).split('\\').join('/')]
    return seconds === undefined ? undefined : seconds * 1000
  }
}

function readDurations(rootDir) {
  try {
    return JSON.parse(readFileSync(`${rootDir}/${DURATIONS}`, 'utf8'))
  } catch {
    return {}
  }
}

/** The table from a `jest --json` result: each test file's seconds, slowest first. */
export function durationsOf(result, rootDir) {
  const rows = result.testResults
    .map(file => [
      relative(rootDir, file.name).split('\\').join('/'),
      Math.round((file.endTime - file.startTime) / 1000)
    ])
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
