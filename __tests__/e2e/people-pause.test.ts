/**
 * Issue 5, people in the loop: a rollout that pauses for a human, the refusal of a second
 * deploy meanwhile, and the manual modes (promote, rollback, status) run as separate
 * workflow runs against the state recorded in the rules' tags.
 */
import { describe, expect, it } from '@jest/globals'
import { writeTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { workflowDispatchEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import {
  canaryTags,
  idleShares,
  invalidElbTags,
  otherRun,
  pairInputs,
  ruleArns,
  useStacks
} from './support/people.js'
import { runAction } from './support/runner.js'

const e2e = useE2e()
const stack = useStacks()

const PAUSING_PLAN = '1:1s,10:pause,100:1s'
const OWNER_URL = 'https://github.com/acme/web/actions/runs/4242424242/attempts/1'
const manual = workflowDispatchEvent()

/** Deploys with a plan that pauses at 10%, and checks it did. */
async function deployToPause(s: Stack) {
  const result = await runAction(e2e.context(s), {
    inputs: pairInputs(s, { stages: PAUSING_PLAN })
  })
  expect(result.code).toBe(0)
  expect(result.outputs.result).toBe('paused')
  return result
}

describe('a plan with a pause stage', () => {
  it('ends the job successfully, holding 10% on every rule and recording paused', async () => {
    const s = await stack()

    const result = await deployToPause(s)

    expect(result.outputs).toMatchObject({
      result: 'paused',
      percent: '10',
      'live-service': 'web-blue',
      'idle-service': 'web-green'
    })
    expect(await idleShares(s)).toEqual([10, 10])
    const tags = await canaryTags(s)
    for (const ruleTags of tags) {
      expect(ruleTags).toMatchObject({
        'ecs-canary:phase': 'paused',
        'ecs-canary:live': 'web-blue',
        'ecs-canary:idle': 'web-green',
        'ecs-canary:plan': '1:1s 10:pause 100:1s',
        'ecs-canary:owner': 'acme/web/runs/4242424242/1'
      })
      expect(ruleTags['ecs-canary:updated']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(invalidElbTags(ruleTags)).toEqual([])
    }
  })

  it('refuses a second deploy while paused, naming the owner run, and writes nothing', async () => {
    const s = await stack()
    await deployToPause(s)
    e2e.proxy.reset()

    const second = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,100:1s' }),
      env: otherRun('5151515151')
    })

    expect(second.code).toBe(1)
    expect(second.outputs.result).toBe('unchanged')
    expect(second.stdout).toContain(OWNER_URL)
    expect(second.stdout).toMatch(/mode: promote/)
    expect(second.stdout).toMatch(/mode: rollback/)
    expect(e2e.proxy.writes()).toBe(0)
    expect(await idleShares(s)).toEqual([10, 10])
    expect((await canaryTags(s))[0]['ecs-canary:owner']).toBe('acme/web/runs/4242424242/1')
  })

  it('is finished by mode: promote in a later run, which records promoted', async () => {
    const s = await stack()
    await deployToPause(s)

    const promote = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'promote' }),
      event: manual,
      env: otherRun('6161616161')
    })

    expect(promote.code).toBe(0)
    expect(promote.outputs).toMatchObject({
      result: 'promoted',
      percent: '100',
      'live-service': 'web-green',
      'idle-service': 'web-blue'
    })
    expect(await idleShares(s)).toEqual([100, 100])
    for (const ruleTags of await canaryTags(s)) {
      expect(ruleTags).toMatchObject({
        'ecs-canary:phase': 'promoted',
        'ecs-canary:live': 'web-green',
        'ecs-canary:idle': 'web-blue',
        'ecs-canary:owner': 'acme/web/runs/6161616161/1'
      })
      expect(invalidElbTags(ruleTags)).toEqual([])
    }
  })

  it('is finished at once by mode: promote with stages: 100', async () => {
    const s = await stack()
    await deployToPause(s)
    e2e.proxy.reset()

    const promote = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'promote', stages: '100:1s' }),
      event: manual,
      env: otherRun('6262626262')
    })

    expect(promote.code).toBe(0)
    expect(promote.outputs.result).toBe('promoted')
    expect(await idleShares(s)).toEqual([100, 100])
    // One weight write per rule: straight from 10% to 100%, no stage in between.
    expect(e2e.proxy.counts().ModifyRule).toBe(1)
    expect(e2e.proxy.counts().ModifyListener).toBe(1)
  })
})

describe('mode: rollback after a pause', () => {
  it('puts all traffic back on the live service and records rolled-back', async () => {
    const s = await stack()
    await deployToPause(s)

    const rollback = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'rollback' }),
      event: manual,
      env: otherRun('7171717171')
    })

    expect(rollback.code).toBe(0)
    expect(rollback.outputs).toMatchObject({
      result: 'rolled-back',
      percent: '0',
      'live-service': 'web-blue'
    })
    expect(await idleShares(s)).toEqual([0, 0])
    for (const ruleTags of await canaryTags(s)) {
      expect(ruleTags).toMatchObject({
        'ecs-canary:phase': 'rolled-back',
        'ecs-canary:live': 'web-blue',
        'ecs-canary:owner': 'acme/web/runs/7171717171/1'
      })
      expect(ruleTags['ecs-canary:reason']).toMatch(/rolled back by hand from 10/)
      expect(invalidElbTags(ruleTags)).toEqual([])
    }
  })
})

describe('mode: rollback with a stale record', () => {
  it('frees rules recorded as paused with no traffic moved, so the next deploy can go', async () => {
    const s = await stack()
    // What a run that was stopped by drift, or died before its first shift, leaves behind.
    for (const arn of ruleArns(s)) {
      await writeTags(s.aws, arn, {
        'ecs-canary:phase': 'paused',
        'ecs-canary:live': 'web-blue',
        'ecs-canary:idle': 'web-green',
        'ecs-canary:plan': '1:1s 100:1s',
        'ecs-canary:owner': 'acme/web/runs/1111111111/1'
      })
    }
    const refused = await runAction(e2e.context(s), { inputs: pairInputs(s) })
    expect(refused.code).toBe(1)
    e2e.proxy.reset()

    const rollback = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'rollback' }),
      event: manual,
      env: otherRun('7272727272')
    })

    expect(rollback.code).toBe(0)
    expect(rollback.outputs.result).toBe('rolled-back')
    const counts = e2e.proxy.counts()
    expect(counts.ModifyRule ?? 0).toBe(0)
    expect(counts.ModifyListener ?? 0).toBe(0)
    for (const ruleTags of await canaryTags(s)) {
      expect(ruleTags['ecs-canary:phase']).toBe('rolled-back')
      expect(invalidElbTags(ruleTags)).toEqual([])
    }
    const next = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '100:1s' }),
      env: otherRun('7373737373')
    })
    expect(next.outputs.result).toBe('promoted')
  })
})

describe('mode: status', () => {
  it('prints the pair, the shares, the phase, the plan and the owner, and writes nothing', async () => {
    const s = await stack()
    await deployToPause(s)
    const tagsBefore = await canaryTags(s)
    e2e.proxy.reset()
    e2e.github.reset()

    const status = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'status' }),
      event: manual,
      env: otherRun('8181818181')
    })

    expect(status.code).toBe(0)
    expect(status.outputs).toMatchObject({
      result: 'unchanged',
      percent: '10',
      'live-service': 'web-blue',
      'idle-service': 'web-green'
    })
    expect(status.stdout).toMatch(
      /live web-blue, idle web-green: web-green takes 10%, web-blue 90%/
    )
    // Weights always labelled with the services they send traffic to.
    expect(status.stdout).toContain(`${s.listenerArn}: web-blue=90 web-green=10 (web-green 10%)`)
    expect(status.stdout).toContain(`${s.rules.api}: web-blue=90 web-green=10 (web-green 10%)`)
    expect(status.stdout).toMatch(/Phase: paused/)
    expect(status.stdout).toContain('Plan: 1:1s 10:pause 100:1s')
    expect(status.stdout).toContain(`Owner: ${OWNER_URL}`)
    expect(e2e.proxy.writes()).toBe(0)
    expect(e2e.github.statuses()).toEqual([])
    expect(await idleShares(s)).toEqual([10, 10])
    expect(await canaryTags(s)).toEqual(tagsBefore)
  })
})
