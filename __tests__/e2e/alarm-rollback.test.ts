import { afterAll, describe, expect, it } from '@jest/globals'
import { provisionStack, readTags, setAlarm } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import {
  deployInputs,
  firstWeightWrite,
  pairWeights,
  reportFileTiming,
  waitUntilAllOn
} from './support/rollout-helpers.js'
import { startAction } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('alarm-rollback.test.ts')

const STATE_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (28/11/26 10:00:00)] was greater than the threshold (5.0)'

/** How long the reaction took in each trial, printed at the end for the suite's figures. */
const reactions: string[] = []

// The alarm goes off a different fraction of a poll interval into the 5% bake in each trial,
// so the figures cover the spread of where in its poll cycle the action is when it happens.
describe.each([
  { trial: 1, flipAfterMs: 150 },
  { trial: 2, flipAfterMs: 500 },
  { trial: 3, flipAfterMs: 850 }
])('an alarm that goes off while 5%% bakes (poll-interval 1s, trial $trial)', ({ flipAfterMs }) => {
  it('puts all traffic back on the live service and fails with the alarm as the reason', async () => {
    const s = await provisionStack()
    const rules = [s.listenerArn, s.rules.api]
    const started = Date.now()
    const action = startAction(e2e.context(s), {
      inputs: deployInputs(s, {
        stages: '1:1s,2:1s,5:20s,10:1s,50:1s,100:1s',
        'poll-interval': '1s'
      })
    })
    await action.waitForOutput(/^Stage 3\/6: 5% on web-green/)
    await new Promise(resolve => setTimeout(resolve, flipAfterMs))
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })

    const flippedAt = Date.now()
    await setAlarm(s.aws, 'web-5xx', 'ALARM', STATE_REASON)
    const flipped = Date.now()
    const restoredAt = await waitUntilAllOn(s, 'blue', rules, { timeoutMs: 60_000 })
    const result = await action.done

    expect(result.code).toBe(1)
    expect(result.outputs).toMatchObject({
      result: 'rolled-back',
      percent: '0',
      'live-service': 'web-blue',
      'idle-service': 'web-green'
    })
    expect(result.outputs.reason).toContain('web-5xx')
    expect(result.outputs.reason).toContain(STATE_REASON)
    expect(result.commands).toContainEqual(
      expect.objectContaining({
        command: 'error',
        message: expect.stringContaining('alarm web-5xx is in ALARM')
      })
    )
    for (const arn of rules) {
      expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
      expect(await readTags(s.aws, arn)).toMatchObject({
        'ecs-canary:phase': 'rolled-back',
        'ecs-canary:live': 'web-blue'
      })
    }
    expect(e2e.github.statuses().at(-1)).toMatchObject({
      state: 'failure',
      description: expect.stringContaining('rolled back at 5%')
    })

    // From the flip: when the action logged the rollback, and when the rules read back live.
    const logged = (pattern: RegExp) => {
      const line = result.lines.find(l => pattern.test(l.text))
      return line ? started + line.t - flippedAt : NaN
    }
    const restoredMs = restoredAt - flippedAt
    reactions.push(
      `flip ${flipAfterMs} ms into the bake: rollback logged after ${logged(/Rolling back/)} ms, ` +
        `rules read back 100% live after ${restoredMs} ms, "Traffic restored" logged after ${logged(/^Traffic restored/)} ms`
    )
    // Noticed at the first read of the alarms after the flip (one in flight at the flip may
    // already see it): no second poll round before the restore. How fast in seconds is the
    // bench's "Reaction" rows, not a verdict a loaded machine could change.
    const restore = firstWeightWrite(e2e.proxy.calls(), flippedAt)
    const alarmReads = e2e.proxy
      .calls()
      .filter(c => c.operation === 'DescribeAlarms' && c.at >= flipped && c.at <= restore.at)
    expect(alarmReads.length).toBeLessThanOrEqual(1)
  })
})

afterAll(() => {
  console.log(`alarm flip → traffic restored (poll-interval 1s):\n${reactions.join('\n')}`)
})
