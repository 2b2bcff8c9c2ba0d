import { afterEach, describe, expect, it } from '@jest/globals'
import { UpdateServiceCommand } from '@aws-sdk/client-ecs'
import { followCount, DEFAULT_FOLLOW } from '../../src/engine/capacity.js'
import type { CapacityTap } from './support/capacity-tap.js'
import {
  countsBeforeShifts,
  registerScalable,
  scaleInStory,
  scaleInSuspended,
  tapStack
} from './support/capacity-helpers.js'
import { provisionStack, readTags, setAlarm } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('capacity.test.ts')

const SCALE_IN_TAG = 'ecs-canary:scale-in-suspended'
let tap: CapacityTap | undefined
afterEach(async () => {
  await tap?.close()
  tap = undefined
})

/** blue live with `liveCount` tasks, green idle at 0; both auto scale unless told not to. */
async function stack(liveCount: number, healthyGreen?: number, scalable = true) {
  const s = await provisionStack({ services: { blue: { desiredCount: liveCount } } })
  if (scalable) {
    await registerScalable(s, 'blue', { min: 1, max: 20 })
    await registerScalable(s, 'green', { min: 0, max: 20 })
  }
  tap = await tapStack(
    s,
    e2e.proxy.url,
    { blue: liveCount, green: 0 },
    healthyGreen === undefined ? {} : { green: healthyGreen }
  )
  return { s, context: { ...e2e.context(s), awsEndpoint: tap.url } }
}

const PROMOTED_STORY = [
  'record web-blue web-green',
  'suspend web-blue',
  'suspend web-green',
  'shift',
  'resume web-blue',
  'resume web-green',
  'record none'
]

describe('canary-capacity: follow', () => {
  it('sizes the canary to each stage before its weight moves, and to the live count before 100%', async () => {
    const { s, context } = await stack(10)
    const result = await runAction(context, {
      inputs: deployInputs(s, { 'canary-capacity': 'follow' })
    })

    expect(result.outputs).toMatchObject({ result: 'promoted' })
    const seen = countsBeforeShifts(tap!.events(), s, s.rules.api, 'green')
    expect(seen).toEqual(
      [1, 2, 5, 10, 50, 100].map(percent => ({
        percent,
        desiredCount: followCount(10, percent * 10, DEFAULT_FOLLOW)
      }))
    )
    // The formula's values for 10 tasks, spelled out: the last one is the whole live count.
    expect(seen.map(x => x.desiredCount)).toEqual([1, 1, 1, 2, 7, 10])
    expect(countsBeforeShifts(tap!.events(), s, s.listenerArn, 'green')).toEqual(seen)
  })

  it('holds both services’ scale-in while traffic moves and puts it back after the promotion', async () => {
    const { s, context } = await stack(4)
    const result = await runAction(context, {
      inputs: deployInputs(s, { 'canary-capacity': 'follow' })
    })

    expect(result.outputs).toMatchObject({ result: 'promoted' })
    expect(scaleInStory(tap!.events(), s)).toEqual(PROMOTED_STORY)
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
    expect(await scaleInSuspended(s, 'green')).toBe(false)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ [SCALE_IN_TAG]: 'none' })
  })

  it('rolls back, naming the stage, when a scale-up never becomes healthy', async () => {
    // One task of green turns healthy; a second one stays `initial` for good.
    const { s, context } = await stack(10, 1)
    const result = await runAction(context, {
      // The targets are waited for until service-timeout before the stage fails (issue 12, D2).
      inputs: deployInputs(s, { 'canary-capacity': 'follow', 'service-timeout': '5s' })
    })

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs.reason).toMatch(/stage 4\/6 \(10%\)/)
    expect(result.outputs.reason).toMatch(/web-green-tg.*not healthy|not ready for traffic/)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    // The scale-up to 2 happened, and no weight moved after it.
    const events = tap!.events()
    const scaleTo2 = events.findIndex(e => e.kind === 'scale' && e.desiredCount === 2)
    const shiftsAfter = events
      .slice(scaleTo2)
      .filter(e => e.kind === 'shift' && e.arn === s.rules.api)
    expect(shiftsAfter.map(e => e.kind === 'shift' && e.weights[s.targetGroups.green.arn])).toEqual(
      [0]
    )
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
  })
})

describe('auto scaling held through every ending', () => {
  it('holds nothing when the checks refuse the deploy', async () => {
    const { s, context } = await stack(2)
    const refused = await runAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,100:1s', alarms: 'web-5xx-missing' })
    })
    expect(refused.code).toBe(1)
    expect(scaleInStory(tap!.events(), s)).toEqual([])
  })

  it('refuses, before any write, a canary whose MaxCapacity is below the live count', async () => {
    const { s, context } = await stack(2, undefined, false)
    await registerScalable(s, 'green', { min: 0, max: 1 })
    const refused = await runAction(context, { inputs: deployInputs(s) })

    expect(refused.code).toBe(1)
    expect(e2e.proxy.writes()).toBe(0)
    expect(refused.commands).toContainEqual(
      expect.objectContaining({
        command: 'error',
        message: expect.stringMatching(
          /web-green must run 2 tasks at 100%.*MaxCapacity is 1.*register-scalable-target.*--max-capacity 2.*canary-capacity: keep/
        )
      })
    )
  })

  it('puts the scale-in back after an alarm rollback', async () => {
    const { s, context } = await stack(2)
    const action = startAction(context, { inputs: deployInputs(s, { stages: '1:30s,100:1s' }) })
    await action.waitForOutput(/^Stage 1\/2/)
    expect(await scaleInSuspended(s, 'blue')).toBe(true)
    await setAlarm(s.aws, s.alarmNames[0], 'ALARM', 'e2e: the canary fails')
    const result = await action.done

    expect(result.outputs.result).toBe('rolled-back')
    expect(scaleInStory(tap!.events(), s)).toEqual([
      'record web-blue web-green',
      'suspend web-blue',
      'suspend web-green',
      'shift',
      'resume web-blue',
      'resume web-green',
      'record none'
    ])
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
  })

  it('keeps a paused rollout’s record, then promote resumes it', async () => {
    const { s, context } = await stack(2)
    const paused = await runAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })

    expect(paused.outputs.result).toBe('paused')
    expect(await scaleInSuspended(s, 'blue')).toBe(true)
    expect(await scaleInSuspended(s, 'green')).toBe(true)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      [SCALE_IN_TAG]: 'web-blue web-green'
    })
    expect(paused.stdout).toMatch(/scale-in of web-blue and web-green stays suspended/)

    const promoted = await runAction(context, {
      inputs: { ...deployInputs(s, { mode: 'promote' }), stages: '' }
    })
    expect(promoted.outputs.result).toBe('promoted')
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
    expect(await scaleInSuspended(s, 'green')).toBe(false)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ [SCALE_IN_TAG]: 'none' })
  })

  it('lets the post step resume it after a SIGKILL', async () => {
    const { s, context } = await stack(2)
    const action = startAction(context, { inputs: deployInputs(s, { stages: '2:60s,100:1s' }) })
    await action.waitForOutput(/^Stage 1\/2/)
    action.kill('SIGKILL')
    const main = await action.done
    expect(await scaleInSuspended(s, 'blue')).toBe(true)

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
    expect(await scaleInSuspended(s, 'green')).toBe(false)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ [SCALE_IN_TAG]: 'none' })
  })
})

describe('mode: rollback after a promotion', () => {
  /**
   * Promotes green at `count` tasks (match), then scales blue (the old service) down to 1. moto
   * runs a service created with more tasks than MOTO_ECS_SERVICE_RUNNING (2) as IN_PROGRESS for
   * good (see fixture-ecs.ts), so the pair runs 2: scaling back up from 1 then settles at once.
   */
  async function promotedThenShrunk(count: number): Promise<{ s: Stack; context: never }> {
    const { s, context } = await stack(count)
    const deployed = await runAction(context, { inputs: deployInputs(s) })
    expect(deployed.outputs.result).toBe('promoted')
    await s.aws.ecs.send(
      new UpdateServiceCommand({ cluster: s.clusterName, service: 'web-blue', desiredCount: 1 })
    )
    tap!.setCount(s.targetGroups.blue.arn, 1)
    return { s, context: context as never }
  }

  it('scales the old service up to the live count first, then moves traffic', async () => {
    const { s, context } = await promotedThenShrunk(2)
    const before = tap!.events().length
    const result = await runAction(context, {
      inputs: { ...deployInputs(s, { mode: 'rollback', 'service-timeout': '1m' }), stages: '' }
    })

    expect(result.outputs.result).toBe('rolled-back')
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    const events = tap!.events().slice(before)
    const scaled = events.findIndex(
      e => e.kind === 'scale' && e.service === 'web-blue' && e.desiredCount === 2
    )
    const moved = events.findIndex(e => e.kind === 'shift')
    expect(scaled).toBeGreaterThanOrEqual(0)
    expect(moved).toBeGreaterThan(scaled)
    expect(result.stdout).toMatch(
      /web-blue has 1 healthy target\(s\) but web-green runs 2 task\(s\): scaling web-blue from 1 to 2 and waiting up to 1 min/
    )
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
  })

  it('with rollback-now: true moves traffic first, with a warning', async () => {
    const { s, context } = await promotedThenShrunk(2)
    const before = tap!.events().length
    const result = await runAction(context, {
      inputs: { ...deployInputs(s, { mode: 'rollback', 'rollback-now': 'true' }), stages: '' }
    })

    expect(result.outputs.result).toBe('rolled-back')
    const events = tap!.events().slice(before)
    const scaled = events.findIndex(e => e.kind === 'scale' && e.service === 'web-blue')
    const moved = events.findIndex(e => e.kind === 'shift')
    expect(moved).toBeGreaterThanOrEqual(0)
    expect(scaled).toBeGreaterThan(moved)
    expect(result.commands).toContainEqual(
      expect.objectContaining({
        command: 'warning',
        message: expect.stringMatching(
          /rollback-now: moving all traffic to web-blue now, with 1 healthy/
        )
      })
    )
  })
})
