import { describe, expect, it } from '@jest/globals'
import { provisionStack, readTags } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('cancel.test.ts')

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

describe('a cancel during the pre-flight checks', () => {
  it('makes no write after the signal', async () => {
    const s = await provisionStack()
    // Hold the pre-flight's DescribeServices for a while, and cancel while it is held.
    e2e.proxy.inject({ operation: 'DescribeServices', fault: 'stall', stallMs: 3_000 })
    const action = startAction(e2e.context(s), { inputs: deployInputs(s) })
    await waitFor(() => e2e.proxy.calls().some(c => c.fault === 'stall'))

    const sentAt = Date.now()
    action.kill('SIGINT')
    const result = await action.done

    expect(e2e.proxy.calls().filter(c => c.write && c.at >= sentAt)).toEqual([])
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(await readTags(s.aws, s.rules.api)).not.toHaveProperty('ecs-canary:phase')
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})

describe('a cancel while the end-of-stage read stalls', () => {
  it('still restores every rule within 10 s of SIGINT', async () => {
    const s = await provisionStack()
    const action = startAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:1s,2:2s,5:1s,10:1s,50:1s,100:1s' })
    })
    await action.waitForOutput(/^Stage 2\/6/)
    // From now on DescribeRules hangs until the client gives up: the read at the end of the
    // 2% bake is the first to hang, and the restore's own reads after it.
    e2e.proxy.inject({ operation: 'DescribeRules', fault: 'stall', times: 'always' })
    await waitFor(() => e2e.proxy.calls().some(c => c.fault === 'stall'))

    const sentAt = Date.now()
    action.kill('SIGINT')
    const result = await action.done
    const exitedAfter = Date.now() - sentAt
    e2e.proxy.clear()

    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(exitedAfter).toBeLessThan(10_000)
    const restores = e2e.proxy
      .calls()
      .filter(
        c => (c.operation === 'ModifyRule' || c.operation === 'ModifyListener') && c.at >= sentAt
      )
    expect(restores.length).toBeGreaterThanOrEqual(2)
    expect(Math.max(...restores.map(c => c.at - sentAt))).toBeLessThan(10_000)
    expect(result.code).not.toBe(0)
    console.log(`stalled DescribeRules + SIGINT: process exited ${exitedAfter} ms after the signal`)
  })
})

describe('mode: rollback killed while it restores', () => {
  it('is finished by its own post step: a rollback owns the rules like any run', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const paused = await runAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    // The rollback's write to the /api/* rule hangs; its run is killed meanwhile.
    e2e.proxy.inject({ operation: 'ModifyRule', fault: 'stall', times: 'always' })
    const rollback = startAction(context, {
      inputs: deployInputs(s, { mode: 'rollback' }),
      env: { GITHUB_RUN_ID: '7000000001' }
    })
    await waitFor(() => e2e.proxy.calls().some(c => c.fault === 'stall'))
    rollback.kill('SIGKILL')
    const main = await rollback.done
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })
    e2e.proxy.clear()

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      'ecs-canary:phase': 'rolled-back',
      'ecs-canary:owner': 'acme/web/runs/7000000001/1'
    })
  })
})
