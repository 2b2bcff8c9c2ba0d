/**
 * `npx tsx bench/gates.ts`: only the reaction rows (alarm and health gate) of `npm run bench`,
 * for re-measuring them after a change to how gates are read without the whole bench.
 * BENCH_TRIALS and BENCH_LANES as in run.ts.
 */
import { loadavg } from 'node:os'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import { startGitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { healthTrials } from './health.js'
import { Mutex, openLane } from './lane.js'
import type { Lane } from './lane.js'
import { reactionTrials } from './reaction.js'
import { healthRow, reactionRow } from './report.js'

process.removeAllListeners('warning')
const TRIALS = Number(process.env.BENCH_TRIALS ?? 20)
const LANES = Number(process.env.BENCH_LANES ?? 4)
const load = () =>
  loadavg()
    .map(n => n.toFixed(2))
    .join(' ')

const moto = await startEmulator()
const github = await startGitHubStandin()
const lanes: Lane[] = []
try {
  const before = load()
  const open = async (count: number) => {
    const opened = await Promise.all(Array.from({ length: count }, () => openLane(github)))
    lanes.push(...opened)
    return opened
  }
  const fast = await open(LANES)
  const slow = await open(LANES)
  const window = new Mutex()
  const share = (i: number) => Math.floor(TRIALS / LANES) + (i < TRIALS % LANES ? 1 : 0)
  const reaction = (
    await Promise.all([
      ...fast.map((lane, i) => reactionTrials(lane, 1_000, share(i), window)),
      ...slow.map((lane, i) => reactionTrials(lane, 5_000, share(i), window))
    ])
  ).flat()
  const health = (
    await Promise.all([
      ...fast.map((lane, i) => healthTrials(lane, 1_000, share(i), window)),
      ...slow.map((lane, i) => healthTrials(lane, 5_000, share(i), window))
    ])
  ).flat()
  console.log(
    [
      reactionRow(reaction, 1_000),
      reactionRow(reaction, 5_000),
      healthRow(health, 1_000),
      healthRow(health, 5_000),
      `load average before ${before}, after ${load()}`
    ].join('\n')
  )
} finally {
  await Promise.all(lanes.map(lane => lane.close()))
  await github.close()
  await moto.stop()
}
