import { afterEach, describe, expect, it } from '@jest/globals'
import { provisionStack } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, startAction } from './support/runner.js'
import { startWriteTap } from './support/write-tap.js'
import type { TappedWrite, WriteTap } from './support/write-tap.js'

const e2e = useE2e()
reportFileTiming('faults.test.ts')

const taps: WriteTap[] = []
afterEach(async () => {
  await Promise.all(taps.splice(0).map(tap => tap.close()))
})

/** The green share a write carried, and the HTTP status it got. */
function greenAndStatus(s: Stack, write: TappedWrite): [number, number | undefined] {
  return [write.weights[s.targetGroups.green.arn], write.status]
}

describe('a throttled ModifyRule', () => {
  it('is retried, and the rollout completes', async () => {
    const s = await provisionStack()
    e2e.proxy.inject({ operation: 'ModifyRule', fault: 'throttle' })

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '10:1s,100:1s' })
    })

    expect(result.code).toBe(0)
    expect(result.outputs.result).toBe('promoted')
    const modifyRule = e2e.proxy.calls().filter(c => c.operation === 'ModifyRule')
    expect(modifyRule.map(c => [c.attempt, c.fault, c.status])).toEqual([
      [1, 'throttle', 400],
      [2, undefined, 200],
      [1, undefined, 200]
    ])
    expect(result.stdout).not.toContain('Rolling back')
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 0, green: 100 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
  })
})

describe('a ModifyRule that keeps failing on the second of two rules', () => {
  it('puts the first rule back, then rolls back, ending with all traffic on live', async () => {
    const s = await provisionStack()
    const tap = await startWriteTap(e2e.proxy.url)
    taps.push(tap)
    // The listener's default action (ModifyListener) first, the /api/* rule (ModifyRule) second.
    const action = startAction(
      { ...e2e.context(s), awsEndpoint: tap.url },
      { inputs: deployInputs(s, { stages: '1:2s,2:1s,100:1s' }) }
    )
    await action.waitForOutput(/^Stage 1\/3/)
    // Counted from here, the next ModifyRule is stage 2's write to the /api/* rule: it and every
    // retry fail, while stage 2's ModifyListener on the default action goes through.
    e2e.proxy.inject({ operation: 'ModifyRule', fault: 'error500', times: 'always' })
    // The outage ends once the rollback has had to retry its own write to the rule.
    await action.waitForOutput(/Retry 1 in/)
    e2e.proxy.clear()
    const result = await action.done

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs['live-service']).toBe('web-blue')
    expect(result.outputs.reason).toMatch(/ModifyRule failed/)
    expect(result.outputs.reason).toContain(s.rules.api)
    expect(result.outputs.reason).toMatch(/already written were put back/)
    expect(result.commands).toContainEqual(
      expect.objectContaining({ command: 'error', message: expect.stringContaining(s.rules.api) })
    )
    // The default action: stage 1, stage 2, put back to stage 1's weights, then rolled back.
    const listener = tap.answered().filter(w => w.arn === s.listenerArn)
    expect(listener.map(w => greenAndStatus(s, w))).toEqual([
      [1, 200],
      [2, 200],
      [1, 200],
      [0, 200]
    ])
    // The rule: stage 1, then every attempt at stage 2 refused, then the rollback's attempts.
    const rule = tap.answered().filter(w => w.arn === s.rules.api)
    const stage2 = rule.filter(w => w.weights[s.targetGroups.green.arn] === 2)
    expect(stage2.length).toBeGreaterThanOrEqual(1)
    expect(stage2.every(w => w.status === 500)).toBe(true)
    expect(greenAndStatus(s, rule[0])).toEqual([1, 200])
    expect(greenAndStatus(s, rule.at(-1)!)).toEqual([0, 200])
    expect(rule.slice(1).map(w => w.weights[s.targetGroups.green.arn])).toEqual([
      ...stage2.map(() => 2),
      ...rule.slice(1 + stage2.length).map(() => 0)
    ])
    // The revert of the default action went out before the rollback wrote anything.
    const order = tap.answered().map(w => `${w.operation}:${w.weights[s.targetGroups.green.arn]}`)
    expect(order.indexOf('ModifyListener:1', 1)).toBeLessThan(order.indexOf('ModifyListener:0'))
    expect(order.indexOf('ModifyListener:1', 1)).toBeLessThan(order.indexOf('ModifyRule:0'))
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})
