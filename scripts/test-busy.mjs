/* global URL */
/**
 * `npm run test:busy`: the e2e suite while a CPU load generator (scripts/cpu-load.mjs) keeps
 * every core busy, as CI or a developer's machine is when other work runs beside it. The
 * generator is a child process, stopped when the suite ends, fails, or is interrupted (Ctrl-C),
 * and bounded by itself besides. Not part of `npm test`. Extra arguments go to jest.
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'

const load = () =>
  loadavg()
    .map(n => n.toFixed(2))
    .join(' ')
const started = Date.now()
// The verdict is read from jest's own results, not only its exit code: one run at a load average
// of 40 exited 0 with suites failed.
const results = join(tmpdir(), `test-busy-${process.pid}.json`)
const generator = spawn(process.execPath, [new URL('./cpu-load.mjs', import.meta.url).pathname], {
  stdio: ['pipe', 'inherit', 'inherit']
})
console.log(
  `test:busy: ${process.env.CPU_LOAD_THREADS ?? cpus().length} busy threads (pid ${generator.pid}); load average ${load()}`
)
const jest = spawn(
  'npx',
  [
    'jest',
    '--selectProjects',
    'e2e',
    '--maxWorkers=4',
    '--json',
    `--outputFile=${results}`,
    ...process.argv.slice(2)
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
      NODE_NO_WARNINGS: '1'
    }
  }
)
const stopGenerator = () => {
  if (generator.exitCode === null && generator.signalCode === null) generator.kill('SIGTERM')
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopGenerator()
    jest.kill(signal)
  })
}
jest.on('close', (code, signal) => {
  stopGenerator()
  let success = false
  let counts = 'no results'
  try {
    const json = JSON.parse(readFileSync(results, 'utf8'))
    success = json.success === true
    counts = `${json.numPassedTests} passed, ${json.numFailedTests} failed, ${json.numRuntimeErrorTestSuites} suites not run`
  } catch {
    // No results: jest did not get that far.
  }
  rmSync(results, { force: true })
  const passed = code === 0 && !signal && success
  const minutes = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(
    `test:busy: the e2e suite ${passed ? 'passed' : 'FAILED'} under load in ${minutes} min (jest: ${counts}; exit ${signal ?? code}); load average at the end ${load()}`
  )
  process.exitCode = passed ? 0 : 1
})
