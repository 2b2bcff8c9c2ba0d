// Reads Stryker's JSON report and prints one row per mutated file: killed, survived, timeout,
// no coverage and the score. Exits 1 when a file is below its floor: Stryker's own
// `thresholds.break` judges only the score of all files together, and a weak file can hide
// behind strong ones.
import { readFileSync } from 'node:fs'

// One report by default; several (e.g. file-by-file runs) are merged, the last one per file wins.
const REPORTS = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/mutation.json']
/** The floor for every mutated file, and the higher one for the modules the safety rests on. */
const FLOOR = 90
const STRICT_FLOOR = 95
const STRICT = ['src/engine/state.ts', 'src/aws/elb/actions.ts', 'src/engine/plan.ts']

const files = {}
for (const path of REPORTS) Object.assign(files, JSON.parse(readFileSync(path, 'utf8')).files)
const rows = []
for (const [file, { mutants }] of Object.entries(files)) {
  const count = status => mutants.filter(m => m.status === status).length
  const killed = count('Killed')
  const survived = count('Survived')
  const timeout = count('Timeout')
  const noCoverage = count('NoCoverage')
  const detected = killed + timeout
  const valid = detected + survived + noCoverage
  const score = valid === 0 ? 100 : (100 * detected) / valid
  const floor = STRICT.some(s => file.endsWith(s)) ? STRICT_FLOOR : FLOOR
  rows.push({ file, killed, survived, timeout, noCoverage, score, floor })
}
rows.sort((a, b) => a.file.localeCompare(b.file))

const line = cells => `| ${cells.join(' | ')} |`
console.log(line(['file', 'killed', 'survived', 'timeout', 'no coverage', 'score', 'floor']))
console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const r of rows) {
  const score = `${r.score.toFixed(1)}%${r.score < r.floor ? ' (below)' : ''}`
  console.log(line([r.file, r.killed, r.survived, r.timeout, r.noCoverage, score, `${r.floor}%`]))
}
const below = rows.filter(r => r.score < r.floor)
if (below.length > 0) {
  console.error(
    `mutation: ${below.length} file(s) below their floor: ${below.map(r => r.file).join(', ')}`
  )
  process.exit(1)
}
console.log(
  `mutation: every file at or above its floor (${FLOOR}%, ${STRICT_FLOOR}% for ${STRICT.join(', ')})`
)
