/**
 * `npx tsx bench/crash-run.ts`: the crash rows of bench/results.md (issue 23), on their own:
 * a canary task crashing → traffic restored, at poll-interval 1s and 5s, and the ECS reads per
 * minute of baking. Replaces the rows starting "| Canary task crashes" and "| ECS reads per
 * minute" in bench/results.md (adds them after the health gate rows the first time).
 *   BENCH_CRASH_TRIALS=10  trials per poll interval (default 10)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import { startGitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { repoRoot } from '../__tests__/e2e/support/runner-env.js'
import { crashRows, crashTrials } from './crash.js'
import { Mutex, openLane } from './lane.js'
import type { Lane } from './lane.js'

process.removeAllListeners('warning')
const TRIALS = Number(process.env.BENCH_CRASH_TRIALS ?? 10)
const load = () =>
  loadavg()
    .map(n => n.toFixed(2))
    .join(' ')

const moto = await startEmulator()
const github = await startGitHubStandin()
const lanes: Lane[] = []
try {
  const before = load()
  lanes.push(...(await Promise.all([openLane(github), openLane(github)])))
  const window = new Mutex()
  const samples = (
    await Promise.all([
      crashTrials(lanes[0], 1_000, TRIALS, window),
      crashTrials(lanes[1], 5_000, TRIALS, window)
    ])
  ).flat()
  const rows = [...crashRows(samples, 1_000), ...crashRows(samples, 5_000)]
  console.log(`${rows.join('\n')}\nload average before ${before}, after ${load()}`)
  const file = join(repoRoot, 'bench', 'results.md')
  const lines = readFileSync(file, 'utf8').split('\n')
  const kept = lines.filter(
    l => !l.startsWith('| Canary task crashes') && !l.startsWith('| ECS reads per minute')
  )
  const after = kept.findLastIndex(l => l.startsWith('| Canary unhealthy → traffic restored'))
  kept.splice(after + 1, 0, ...rows)
  writeFileSync(file, kept.join('\n'))
} finally {
  await Promise.all(lanes.map(lane => lane.close()))
  await github.close()
  await moto.stop()
}
