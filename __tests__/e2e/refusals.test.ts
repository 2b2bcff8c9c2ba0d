import { describe, expect, it } from '@jest/globals'
import { provisionStack, readTags } from './support/fixture.js'
import type { Stack, StackOptions } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction } from './support/runner.js'
import type { RunResult } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('refusals.test.ts')

const IN_ALARM = 'Threshold Crossed: 2 datapoints [9.0, 11.0] were greater than the threshold (5.0)'

/** Every rule the stack has, so "nothing moved" covers the ones not named too. */
function allRules(s: Stack): string[] {
  return [s.listenerArn, s.rules.api, ...(s.rules.thirdGroup ? [s.rules.thirdGroup] : [])]
}

/** A refused run: failed, nothing written to AWS, traffic and tags as they were. */
async function expectRefused(s: Stack, result: RunResult, culprit: RegExp): Promise<void> {
  expect(result.code).toBe(1)
  expect(result.outputs.result).toBe('unchanged')
  expect(result.outputs.reason).toMatch(culprit)
  expect(result.commands).toContainEqual(
    expect.objectContaining({ command: 'error', message: expect.stringMatching(culprit) })
  )
  expect(e2e.proxy.writes()).toBe(0)
  for (const arn of allRules(s)) {
    expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
    expect(await readTags(s.aws, arn)).toEqual({})
  }
}

describe('a deploy refused before its first write', () => {
  it.each<{
    what: string
    stack: StackOptions
    inputs: (s: Stack) => Record<string, string>
    culprit: (s: Stack) => RegExp
  }>([
    {
      what: 'an alarm name that does not exist',
      stack: {},
      inputs: () => ({ alarms: 'web-5xx web-5xx-typo web-latency' }),
      culprit: () => /alarm 'web-5xx-typo' does not exist/
    },
    {
      what: 'an alarm already in ALARM',
      stack: {
        alarms: [{ name: 'web-5xx', state: 'ALARM', reason: IN_ALARM }, { name: 'web-latency' }]
      },
      inputs: () => ({}),
      culprit: () => new RegExp(`alarm 'web-5xx' is already in ALARM \\(${escape(IN_ALARM)}\\)`)
    },
    {
      what: 'a rule that forwards to a third target group',
      stack: { thirdGroupRule: true },
      inputs: s => ({
        'listener-rules': [s.listenerArn, s.rules.api, s.rules.thirdGroup!].join('\n')
      }),
      culprit: s =>
        new RegExp(
          `${escape(s.rules.thirdGroup!)} forwards to ${escape(s.targetGroups.third!.arn)}`
        )
    }
  ])('refuses $what, naming it', async ({ stack, inputs, culprit }) => {
    const s = await provisionStack(stack)

    const result = await runAction(e2e.context(s), { inputs: deployInputs(s, inputs(s)) })

    await expectRefused(s, result, culprit(s))
  })
})

describe('a dry run', () => {
  it('writes nothing, posts no status, and prints the weights of every stage', async () => {
    const s = await provisionStack()

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { 'dry-run': true })
    })

    expect(result.code).toBe(0)
    expect(result.outputs.result).toBe('unchanged')
    expect(e2e.proxy.writes()).toBe(0)
    expect(e2e.github.requests()).toEqual([])
    const planned = result.lines.map(l => l.text).filter(t => /weights web-green=/.test(t))
    expect(planned.map(t => /weights (web-green=\d+ web-blue=\d+)/.exec(t)?.[1])).toEqual([
      'web-green=1 web-blue=99',
      'web-green=2 web-blue=98',
      'web-green=5 web-blue=95',
      'web-green=10 web-blue=90',
      'web-green=50 web-blue=50',
      'web-green=100 web-blue=0'
    ])
    for (const arn of allRules(s)) {
      expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
      expect(await readTags(s.aws, arn)).toEqual({})
    }
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
