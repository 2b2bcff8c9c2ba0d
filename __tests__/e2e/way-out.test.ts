/**
 * Issue 15, every refusal has a way out that works: from each starting state of the rules and
 * their tags, each mode either ends well or is refused naming the next run ("run with `mode:
 * rollback` and `to: web-blue`"), and every run so named, from that same state, ends well. No
 * state is a dead end. Each case gets its own account; cases run side by side.
 */
import { afterAll, describe, expect, it } from '@jest/globals'
import { suggestedRuns } from '../../src/engine/wayout.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { pairInputs } from './support/people.js'
import { reportFileTiming } from './support/rollout-helpers.js'
import { runAction } from './support/runner.js'
import type { RunResult } from './support/runner.js'
import { STATES, settledOnOne, snapshot, stackIn } from './support/states.js'
import type { StateName } from './support/states.js'

const e2e = useE2e()
reportFileTiming('way-out.test.ts')

/** Every mode, and `to` (accepted from any state): the inputs of the first run. */
const RUNS: Record<string, string>[] = [
  { mode: 'deploy' },
  { mode: 'promote' },
  { mode: 'rollback' },
  { mode: 'status' },
  { mode: 'rollback', to: 'web-green' }
]
const stacks: Stack[] = []
/** Every path taken, printed at the end: what each state and mode led to. */
const paths: string[] = []
afterAll(() => {
  stacks.splice(0).forEach(s => s.aws.destroy())
  console.log(
    `way out, state → mode → result (→ suggested run → result):\n${paths.sort().join('\n')}`
  )
})

async function stackFor(state: StateName): Promise<Stack> {
  const s = await stackIn(state)
  stacks.push(s)
  return s
}

/** A run with `next` over the pair's inputs; a deploy gets a short plan. */
function run(s: Stack, next: Record<string, string>): Promise<RunResult> {
  const deploying = (next.mode ?? 'deploy') === 'deploy'
  return runAction(e2e.context(s), {
    inputs: pairInputs(s, { ...(deploying ? { stages: '50:1s,100:1s' } : {}), ...next })
  })
}

/**
 * A run ended well: exit 0, and any traffic it moved is all on one service on every rule (on
 * `to`, when it named one, whether it moved anything or not).
 */
async function expectEndedWell(
  s: Stack,
  result: RunResult,
  what: string,
  to?: string
): Promise<void> {
  const detail = `${what}: exit ${result.code}, result ${result.outputs.result}, reason: ${result.outputs.reason}`
  expect({ detail, code: result.code }).toEqual({ detail, code: 0 })
  if (to || (result.outputs.result !== 'unchanged' && result.outputs.result !== 'paused')) {
    expect({ detail, on: await settledOnOne(s) }).toEqual({
      detail,
      on: to ?? result.outputs['live-service']
    })
  }
}

describe.each(STATES)('from %s', state => {
  it.concurrent.each(RUNS)('%j ends well, or names runs that do', async inputs => {
    const { mode } = inputs
    const s = await stackFor(state)
    const before = await snapshot(s)

    const first = await run(s, inputs)

    const path = `${state} → ${JSON.stringify(inputs)} → ${first.outputs.result}${first.code ? ' (refused)' : ''}`
    if (first.code === 0) {
      paths.push(path)
      return expectEndedWell(s, first, `${state} → ${mode}`, inputs.to)
    }
    expect(mode).not.toBe('status')
    expect(first.outputs.result).toBe('unchanged')
    expect(await snapshot(s)).toBe(before)
    const ways = suggestedRuns(first.outputs.reason)
    expect({ reason: first.outputs.reason, ways: ways.length > 0 }).toEqual({
      reason: first.outputs.reason,
      ways: true
    })
    await Promise.all(
      ways.map(async next => {
        const fresh = await stackFor(state)
        const then = await run(fresh, next)
        paths.push(`${path} → ${JSON.stringify(next)} → ${then.outputs.result}`)
        await expectEndedWell(fresh, then, `${state} → ${mode} → ${JSON.stringify(next)}`, next.to)
      })
    )
  })
})
