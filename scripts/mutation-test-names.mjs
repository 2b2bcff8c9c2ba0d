// Writes which unit test file holds which tests, for scripts/mutation-sequencer.mjs: one run of
// the unit tests with jest's JSON output, kept as { "relative/test/file.ts": ["full name", …] }.
// stryker.config.mjs calls it before every run, so the list always matches the tests.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

export function writeTestNames(root, outFile) {
  const raw = resolve(root, 'reports/mutation/unit-results.json')
  mkdirSync(dirname(raw), { recursive: true })
  execFileSync(
    process.execPath,
    [
      resolve(root, 'node_modules/jest/bin/jest.js'),
      '--selectProjects=unit',
      '--silent',
      '--json',
      `--outputFile=${raw}`
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', NODE_NO_WARNINGS: '1' }
    }
  )
  const results = JSON.parse(readFileSync(raw, 'utf8'))
  const names = {}
  for (const file of results.testResults) {
    names[relative(root, file.name)] = file.assertionResults.map(a => a.fullName)
  }
  writeFileSync(outFile, `${JSON.stringify(names, null, 1)}\n`)
  return Object.keys(names).length
}
