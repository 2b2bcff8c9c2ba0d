/**
 * Reaction time: from the moment an alarm is set to ALARM to the moment every rule reads back
 * 100% on the live service, with the alarm set at a random point of a bake.
 */
import { randomInt } from 'node:crypto'
import { loadavg } from 'node:os'
import { readWeights, setAlarm } from '../__tests__/e2e/support/fixture.js'
import { startAction } from '../__tests__/e2e/support/runner.js'
import { allOnLive, calmAlarms, deployInputs, rulesOf, stageStarted } from './lane.js'
import type { Lane, Mutex } from './lane.js'

/** One trial. */
export interface ReactionSample {
  pollMs: number
  /** SetAlarmState sent → the midpoint of the window in which the rules flipped. */
  ms: number
  /** Half that window: how precisely the flip was caught. */
  errorMs: number
  /** When in the bake the alarm went off (ms after the stage began). */
  atMs: number
  /** The machine's 1-minute load average when it went off: other work shows in every figure. */
  load: number
}

/** How often the bench reads the rules while waiting for the flip. */
export const READ_EVERY_MS = 50

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Runs `trials` trials in `lane`, one after another. The alarm goes off at a uniformly random
 * point in the first three poll intervals of a long first stage, so its phase against the
 * action's polls is random. `window` serialises the alarm-to-restore windows across lanes: at
 * most one action is reacting at a time, and the timing of one never waits on another's CPU.
 * A lane that had to wait for the window draws a new random delay once inside it.
 */
export async function reactionTrials(
  lane: Lane,
  pollMs: number,
  trials: number,
  window: Mutex
): Promise<ReactionSample[]> {
  const samples: ReactionSample[] = []
  const { stack } = lane
  const rules = rulesOf(stack, 2)
  for (let i = 0, refused = 0; i < trials; i++) {
    // The previous rollout's last writes still read back for a moment (ELB's read lag, which
    // the strict stand-in models): a run started now would rightly refuse the split it reads.
    await lane.proxy.readLagOver()
    await calmAlarms(stack)
    const before = await readWeights(stack.aws, rules[0])
    const idleGroup = Object.entries(before.weights).find(([, weight]) => weight === 0)?.[0]
    if (!idleGroup) throw new Error('bench: the lane has traffic on both groups')
    const run = startAction(lane.context, {
      inputs: deployInputs(stack, rules, {
        stages: '1:30m,100:1s',
        'poll-interval': `${pollMs / 1000}s`
      }),
      env: { NODE_NO_WARNINGS: '1' }
    })
    if (!(await stageStarted(run, refused++))) {
      i--
      continue
    }
    refused = 0
    const stageAt = Date.now()
    const atMs = randomInt(200, 200 + 3 * pollMs)
    await sleep(atMs)
    const queued = Date.now()
    const sample = await window.run(async () => {
      // Let in right after another lane's flip, which follows that lane's poll: lanes started
      // together poll in step, so firing now would land just after our own poll every time.
      // A fresh random delay makes the moment random again.
      if (Date.now() - queued > 20) await sleep(randomInt(0, pollMs))
      const sent = Date.now()
      await setAlarm(stack.aws, stack.alarmNames[0], 'ALARM', 'bench: reaction trial')
      // The flip lies between the start of the last read that missed it and the end of the
      // first read that saw it.
      let lastMiss = sent
      for (;;) {
        const readAt = Date.now()
        const flipped = await allOnLive(stack, rules, idleGroup)
        if (flipped) {
          const seen = Date.now()
          return {
            pollMs,
            ms: (lastMiss + seen) / 2 - sent,
            errorMs: (seen - lastMiss) / 2,
            atMs: sent - stageAt,
            load: loadavg()[0]
          }
        }
        lastMiss = readAt
        if (readAt - sent > 4 * pollMs + 60_000) throw new Error('bench: traffic never came back')
        await sleep(Math.max(0, READ_EVERY_MS - (Date.now() - readAt)))
      }
    })
    const result = await run.done
    if (result.outputs.result !== 'rolled-back') {
      throw new Error(`bench: expected a rollback, got ${result.outputs.result}: ${result.stdout}`)
    }
    samples.push(sample)
  }
  return samples
}
