import { afterAll, describe, expect, it } from '@jest/globals'
import { provisionStack, readTags } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runPost, startAction } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('signals.test.ts')

/** A long second stage, so the signal lands while 2% bakes. */
const STAGES = '1:1s,2:30s,5:1s,10:1s,50:1s,100:1s'

/** Signal → exit, per signal, printed at the end for the suite's figures. */
const exits: string[] = []
afterAll(() => console.log(`signal → process exit:\n${exits.join('\n')}`))

describe.each(['SIGTERM', 'SIGINT'] as const)('%s while a stage bakes', signal => {
  it('restores all traffic to the live service before the process exits', async () => {
    const s = await provisionStack()
    const action = startAction(e2e.context(s), { inputs: deployInputs(s, { stages: STAGES }) })
    await action.waitForOutput(/^Stage 2\/6/)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 98, green: 2 })

    const sentAt = Date.now()
    action.kill(signal)
    const result = await action.done
    const exitedAfter = Date.now() - sentAt
    // Read the moment the process is gone: nothing of the action's can still be writing.
    const [listener, api] = await Promise.all([
      pairWeights(s, s.listenerArn),
      pairWeights(s, s.rules.api)
    ])

    expect(listener).toEqual({ blue: 100, green: 0 })
    expect(api).toEqual({ blue: 100, green: 0 })
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    expect(result.stdout).toContain('cancelled: traffic restored to web-blue')
    expect(result.outputs).toMatchObject({ result: 'rolled-back', 'live-service': 'web-blue' })
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      'ecs-canary:phase': 'rolled-back'
    })
    // Inside the runner's window: SIGTERM follows SIGINT by 7.5 s, the kill 2.5 s after that.
    expect(exitedAfter).toBeLessThan(7_500)
    exits.push(`${signal}: exited ${exitedAfter} ms after the signal, traffic already restored`)
  })
})

describe('SIGTERM while a stage is being written', () => {
  it('is a cancel too: traffic restored to the live service, the cancel as the reason', async () => {
    const s = await provisionStack()
    const action = startAction(e2e.context(s), { inputs: deployInputs(s, { stages: STAGES }) })
    await action.waitForOutput(/^Stage 1\/6/)
    // Hold stage 2's write to the /api/* rule, and cancel while it is in flight.
    e2e.proxy.inject({ operation: 'ModifyRule', fault: 'stall', stallMs: 1_500 })
    await waitFor(() => e2e.proxy.calls().some(c => c.fault === 'stall'))

    action.kill('SIGTERM')
    const result = await action.done

    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(result.code).toBe(1)
    expect(result.outputs).toMatchObject({
      result: 'rolled-back',
      reason: 'cancelled: traffic restored to web-blue'
    })
  })
})

describe('SIGKILL while a stage bakes, then the post step', () => {
  it('leaves the post step to restore the traffic, and a second post step to do nothing', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const action = startAction(context, { inputs: deployInputs(s, { stages: STAGES }) })
    await action.waitForOutput(/^Stage 2\/6/)
    action.kill('SIGKILL')
    const main = await action.done
    expect(main.signal).toBe('SIGKILL')
    // Killed outright, main could not clean up: 2% is still on the new service.
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 98, green: 2 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 98, green: 2 })

    e2e.proxy.reset()
    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(e2e.proxy.counts()).toMatchObject({ ModifyListener: 1, ModifyRule: 1 })
    expect(post.commands).toContainEqual(
      expect.objectContaining({
        command: expect.stringMatching(/^(error|warning)$/),
        message: expect.stringContaining('web-blue')
      })
    )
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      'ecs-canary:phase': 'rolled-back'
    })

    e2e.proxy.reset()
    const again = await runPost(context, main)

    expect(again.code).toBe(0)
    expect(e2e.proxy.writes()).toBe(0)
    expect(again.commands.filter(c => c.command === 'error')).toEqual([])
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
