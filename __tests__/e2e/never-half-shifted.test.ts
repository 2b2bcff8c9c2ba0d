import { afterEach, describe, expect, it } from '@jest/globals'
import { provisionStack, readTags, setWeights, writeTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'

/**
 * Issue 6 beyond the fault matrix: the post step's ownership check, drift under a running
 * rollout, alarms that cannot be read, and credentials that would expire mid-plan. (SIGINT,
 * SIGTERM and SIGKILL with the post step are in signals.test.ts.)
 */
const e2e = useE2e()
const stacks: Stack[] = []

afterEach(() => {
  stacks.splice(0).forEach(s => s.aws.destroy())
})

async function stack(): Promise<Stack> {
  const s = await provisionStack()
  stacks.push(s)
  return s
}

const PHASE = 'ecs-canary:phase'

describe('the post step of a run killed mid-bake', () => {
  it('leaves the rules alone when another run owns them now', async () => {
    const s = await stack()
    const context = e2e.context(s)
    const action = startAction(context, { inputs: deployInputs(s, { stages: '50:60s,100:1s' }) })
    await action.waitForOutput(/^Stage 1\/2: /)
    action.kill('SIGKILL')
    const main = await action.done
    // Someone else's run has taken the rules over since (a promote from another workflow).
    for (const arn of [s.listenerArn, s.rules.api]) {
      await writeTags(s.aws, arn, { 'ecs-canary:owner': 'acme/web/runs/777/1' })
    }
    e2e.proxy.reset()

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(e2e.proxy.writes()).toBe(0)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 50, green: 50 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 50, green: 50 })
    expect(post.commands).toContainEqual(
      expect.objectContaining({
        command: 'warning',
        message: expect.stringContaining("the rules are not this run's any more")
      })
    )
  })
})

describe('a weight changed by hand while a stage bakes', () => {
  it('stops the run without writing another weight, fails, and says what it found', async () => {
    const s = await stack()
    const action = startAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '50:2s,100:1s' })
    })
    await action.waitForOutput(/^Stage 1\/2: /)
    const changedAt = Date.now()
    const green = s.targetGroups.green.arn
    await setWeights(s.aws, s.rules.api, { [s.targetGroups.blue.arn]: 70, [green]: 30 })

    const main = await action.done

    const moves = e2e.proxy
      .calls()
      .filter(c => /^Modify(Rule|Listener)$/.test(c.operation) && c.at >= changedAt)
    expect(moves).toEqual([])
    expect(main.code).toBe(1)
    expect(main.outputs.reason).toContain(
      `found 30% (weights web-green=30/web-blue=70) on ${s.rules.api}`
    )
    expect(main.outputs.reason).toContain('this run stops without writing')
    // The hand-made split stays as it was set, and the rollout is recorded as held.
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 70, green: 30 })
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 50, green: 50 })
    expect(main.outputs.result).toBe('paused')
    expect((await readTags(s.aws, s.rules.api))[PHASE]).toBe('paused')
  })
})

describe('alarms that cannot be read', () => {
  it('roll the stage back after three polls in a row, saying the alarms could not be read', async () => {
    const s = await stack()
    // The first DescribeAlarms is the pre-flight check; every poll after it is refused.
    e2e.proxy.inject({ operation: 'DescribeAlarms', nth: 2, times: 'always', fault: 'denied' })

    const main = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '50:5s,100:1s' })
    })

    expect(main.code).toBe(1)
    expect(main.outputs.result).toBe('rolled-back')
    expect(main.outputs.reason).toMatch(
      /^the alarms gate could not be read for 3 polls in a row \(alarms: DescribeAlarms failed for alarms [^:]+: AccessDenied: /
    )
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(e2e.proxy.counts().DescribeAlarms).toBe(4)
  })

  it('do not stop a rollout when one poll fails', async () => {
    const s = await stack()
    e2e.proxy.inject({ operation: 'DescribeAlarms', nth: 3, fault: 'denied' })

    const main = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '50:1s,100:1s' })
    })

    expect(main.stdout).toContain(
      'Could not read the alarms gate (1/3): alarms: DescribeAlarms failed for alarms '
    )
    expect(main.code).toBe(0)
    expect(main.outputs.result).toBe('promoted')
  })
})

describe('credentials that expire before the plan would end', () => {
  it('refuse the plan before writing anything', async () => {
    const s = await stack()
    const expiry = new Date(Date.now() + 20 * 60_000).toISOString()

    const main = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '50:30m,100:30m' }),
      // The SDK's environment credential provider reads the expiry from here.
      env: { AWS_CREDENTIAL_EXPIRATION: expiry }
    })

    expect(main.code).toBe(1)
    expect(main.outputs.result).toBe('unchanged')
    expect(main.outputs.reason).toContain('the plan can take 1h, but the AWS credentials expire')
    expect(e2e.proxy.writes()).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})
