/**
 * Issue 15, never re-promote what was just rolled back: after a rollback, the idle service still
 * runs the bad revision, and a deploy without `task-definition` would put it back on traffic.
 */
import { describe, expect, it } from '@jest/globals'
import { registerWebTaskDefinition } from './support/fixture-ecs.js'
import { useE2e } from './support/harness.js'
import { canaryTags, idleShares, pairInputs, useStacks } from './support/people.js'
import { reportFileTiming, waitOutReadLag } from './support/rollout-helpers.js'
import { runAction } from './support/runner.js'
import { snapshot } from './support/states.js'

const e2e = useE2e()
const stack = useStacks()
reportFileTiming('redeploy.test.ts')

describe('a deploy without task-definition after a rollback', () => {
  it('is refused with no write while the idle service runs the rolled-back revision; allow-redeploy lets it go', async () => {
    const s = await stack()
    const bad = await registerWebTaskDefinition(s.aws, 'public.ecr.aws/nginx/nginx:1.28')
    const paused = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { 'task-definition': bad, stages: '10:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    const back = await runAction(e2e.context(s), { inputs: pairInputs(s, { mode: 'rollback' }) })
    expect(back.outputs.result).toBe('rolled-back')
    expect((await canaryTags(s))[0]['ecs-canary:revision']).toBe(bad)
    await waitOutReadLag()
    const before = await snapshot(s)
    e2e.proxy.reset()

    const again = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '50:1s,100:1s' })
    })

    expect(again.code).toBe(1)
    expect(again.outputs.result).toBe('unchanged')
    expect(again.outputs.reason).toContain(
      `web-green still runs ${bad}, which these rules record as rolled back`
    )
    expect(again.outputs.reason).toContain(
      "Give a fixed revision in 'task-definition', or run with `mode: deploy` and `allow-redeploy: true`"
    )
    expect(e2e.proxy.writes()).toBe(0)
    expect(await snapshot(s)).toBe(before)

    const meant = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '50:1s,100:1s', 'allow-redeploy': 'true' })
    })

    expect(meant.code).toBe(0)
    expect(meant.outputs).toMatchObject({ result: 'promoted', 'live-service': 'web-green' })
    expect(await idleShares(s)).toEqual([100, 100])
  })
})
