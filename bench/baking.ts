/**
 * AWS calls while baking: one long stage, counted by the lane's proxy between the stage's
 * weight write and the next one.
 */
import { runAction } from '../__tests__/e2e/support/runner.js'
import { deployInputs, rulesOf } from './lane.js'
import type { Lane } from './lane.js'

const BAKE_S = 60
const TRAFFIC_WRITES = new Set(['ModifyRule', 'ModifyListener'])

/** Calls per minute of baking at one poll interval. */
export interface BakeCalls {
  pollMs: number
  /** DescribeAlarms per minute of baking. */
  alarmReadsPerMinute: number
  /** Any other call made in the middle of the bake (away from the stage's ends), per minute. */
  otherPerMinute: Record<string, number>
}

/** Bakes one 60 s stage on two rules at `pollMs` and counts what the action asked for. */
export async function bakeCalls(lane: Lane, pollMs: number): Promise<BakeCalls> {
  await lane.proxy.readLagOver()
  lane.proxy.reset()
  const result = await runAction(lane.context, {
    inputs: deployInputs(lane.stack, rulesOf(lane.stack, 2), {
      stages: `50:${BAKE_S}s,100:1s`,
      'poll-interval': `${pollMs / 1000}s`
    }),
    env: { NODE_NO_WARNINGS: '1' }
  })
  if (result.outputs.result !== 'promoted') {
    throw new Error(`bench: expected a promotion, got ${result.outputs.result}: ${result.stdout}`)
  }
  const calls = lane.proxy.calls()
  const shifts = calls.filter(call => TRAFFIC_WRITES.has(call.operation))
  // Two rules: the first stage's writes are shifts[0..1], the second stage starts at shifts[2].
  const from = shifts[1].at
  const to = shifts[2].at
  const minutes = (to - from) / 60_000
  const inside = calls.filter(call => call.at > from && call.at < to)
  const alarmReads = inside.filter(call => call.operation === 'DescribeAlarms').length
  const otherPerMinute: Record<string, number> = {}
  for (const call of inside) {
    // A second at each end belongs to the stage's own reads (read-back, drift check).
    if (call.operation === 'DescribeAlarms' || call.at < from + 1_000 || call.at > to - 1_000) {
      continue
    }
    otherPerMinute[call.operation] = (otherPerMinute[call.operation] ?? 0) + 1 / minutes
  }
  return { pollMs, alarmReadsPerMinute: alarmReads / minutes, otherPerMinute }
}
