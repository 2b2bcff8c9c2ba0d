/**
 * Stage overhead: the wall time of a six-stage rollout minus its configured bake times, per
 * stage; and the AWS calls the same runs made, split into pre-flight, stages and baking.
 */
import type { ProxyCall } from '../__tests__/e2e/support/fault-proxy.js'
import { runAction } from '../__tests__/e2e/support/runner.js'
import { deployInputs, rulesOf } from './lane.js'
import type { Lane } from './lane.js'

/** Six stages of 2 s; the default poll interval (5 s) reads the alarms at 0 s and 2 s. */
export const OVERHEAD_STAGES = '1:2s,2:2s,5:2s,10:2s,50:2s,100:2s'
const STAGE_COUNT = 6
const BAKE_MS = 6 * 2_000

const TRAFFIC_WRITES = new Set(['ModifyRule', 'ModifyListener'])

/** One promoted rollout, timed. */
export interface OverheadSample {
  rules: 1 | 2
  /** Spawn to exit. */
  wallMs: number
  /** Spawn to the first weight write: start-up, pre-flight checks, preparing the idle service. */
  preflightMs: number
  /** First weight write to exit, minus the configured bake times, divided by the stages. */
  perStageMs: number
  calls: ProxyCall[]
  firstShiftAt: number
}

/** Runs one six-stage rollout on `rules` rules of the lane's stack and times it. */
export async function overheadRun(lane: Lane, rules: 1 | 2): Promise<OverheadSample> {
  // The previous run's last writes must have stopped lagging (see reaction.ts).
  await lane.proxy.readLagOver()
  lane.proxy.reset()
  // The strict stand-in's `rule-read-lag` shows each rule as it was for 1 s after a write, a
  // length picked to outlast one read, not measured on AWS; the action reads back until the new
  // weights show, so with it on every stage would carry that made-up second. The overhead is the
  // action's own work: the rule is off for these runs (bench/results.md says so).
  lane.proxy.strict({ off: ['rule-read-lag'] })
  const started = Date.now()
  const result = await runAction(lane.context, {
    inputs: deployInputs(lane.stack, rulesOf(lane.stack, rules), { stages: OVERHEAD_STAGES }),
    env: { NODE_NO_WARNINGS: '1' }
  }).finally(() => lane.proxy.strict())
  const ended = started + result.durationMs
  if (result.outputs.result !== 'promoted') {
    throw new Error(`bench: expected a promotion, got ${result.outputs.result}: ${result.stdout}`)
  }
  const calls = lane.proxy.calls()
  const firstShiftAt = calls.find(call => TRAFFIC_WRITES.has(call.operation))?.at
  if (firstShiftAt === undefined) throw new Error('bench: the rollout wrote no weights')
  return {
    rules,
    wallMs: result.durationMs,
    preflightMs: firstShiftAt - started,
    perStageMs: (ended - firstShiftAt - BAKE_MS) / STAGE_COUNT,
    calls,
    firstShiftAt
  }
}

/** Calls per operation: once before the first weight write, and per stage after it. */
export interface CallProfile {
  preflight: Record<string, number>
  perStage: Record<string, number>
}

/**
 * Splits a run's calls at its first weight write. The alarm reads of the bakes are left out of
 * the per-stage figures: they scale with bake time, and `bakeCalls` counts them per minute.
 */
export function callProfile(sample: OverheadSample): CallProfile {
  const preflight: Record<string, number> = {}
  const perStage: Record<string, number> = {}
  for (const call of sample.calls) {
    if (call.at < sample.firstShiftAt) {
      preflight[call.operation] = (preflight[call.operation] ?? 0) + 1
    } else if (call.operation !== 'DescribeAlarms') {
      perStage[call.operation] = (perStage[call.operation] ?? 0) + 1 / STAGE_COUNT
    }
  }
  return { preflight, perStage }
}
