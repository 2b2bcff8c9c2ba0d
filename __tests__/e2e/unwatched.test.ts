import { afterEach, describe, expect, it } from '@jest/globals'
import { provisionStack, readTags, setAlarm } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights } from './support/rollout-helpers.js'
import { runAction } from './support/runner.js'
import type { RunResult } from './support/runner.js'

// Issue 13: no rollout without a gate, and one policy for INSUFFICIENT_DATA, both decided before
// the first write.
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

async function expectNothingWritten(s: Stack, result: RunResult, culprit: RegExp) {
  expect(result.code).toBe(1)
  expect(result.outputs.result).toBe('unchanged')
  expect(result.outputs.reason).toMatch(culprit)
  expect(e2e.proxy.writes()).toBe(0)
  for (const arn of [s.listenerArn, s.rules.api]) {
    expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
    expect(await readTags(s.aws, arn)).toEqual({})
  }
}

describe('a rollout nothing would watch', () => {
  it('is refused before any AWS call, naming alarms, analysis and health-gate', async () => {
    const s = await stack()
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { alarms: '', analysis: 'off', 'health-gate': 'off' })
    })
    await expectNothingWritten(s, result, /'health-gate'.*'alarms'.*'analysis: off'/)
    expect(result.outputs.reason).toContain('leaves the rollout unwatched')
    expect(e2e.proxy.calls()).toHaveLength(0)
  })

  it('runs with only the health gate, warning that nothing watches error rates or latency', async () => {
    const s = await stack()
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { alarms: '', analysis: 'off', stages: '100:1s' })
    })
    expect(result.outputs.result).toBe('promoted')
    expect(result.commands).toContainEqual(
      expect.objectContaining({
        command: 'warning',
        message: expect.stringContaining('nothing watches error rates or latency')
      })
    )
    expect(e2e.proxy.counts().DescribeTargetHealth).toBeGreaterThan(1)
    expect(e2e.proxy.counts().DescribeAlarms).toBeUndefined()
  })
})

describe('an alarm already in INSUFFICIENT_DATA', () => {
  it('is refused with zero writes under insufficient-data: alarm', async () => {
    const s = await stack()
    await setAlarm(
      s.aws,
      'web-5xx',
      'INSUFFICIENT_DATA',
      'Insufficient Data: 1 datapoint was unknown.'
    )
    e2e.proxy.reset()
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { 'insufficient-data': 'alarm' })
    })
    await expectNothingWritten(
      s,
      result,
      /alarm 'web-5xx' is INSUFFICIENT_DATA \(Insufficient Data: 1 datapoint was unknown\.\), which counts as ALARM with insufficient-data: alarm/
    )
  })

  it('still rolls out under insufficient-data: ok, warning about it', async () => {
    const s = await stack()
    await setAlarm(s.aws, 'web-5xx', 'INSUFFICIENT_DATA', 'Insufficient Data')
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '100:1s' })
    })
    expect(result.outputs.result).toBe('promoted')
    expect(result.stdout).toContain('web-5xx is INSUFFICIENT_DATA')
  })
})
