import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { API_STICKINESS, provisionStack, readTags, readWeights } from './support/fixture.js'
import type { RuleWeights, Stack } from './support/fixture.js'
import type { RecordedStatus } from './support/github-standin.js'
import { useE2e } from './support/harness.js'
import {
  deployInputs,
  pairWeights,
  reportFileTiming,
  watchWeights
} from './support/rollout-helpers.js'
import type { PairWeights } from './support/rollout-helpers.js'
import { runAction } from './support/runner.js'
import type { RunResult } from './support/runner.js'
import { startWriteTap } from './support/write-tap.js'
import type { TappedWrite, WriteTap } from './support/write-tap.js'

const e2e = useE2e()
reportFileTiming('rollout.test.ts')

/** 0 → 1 → 2 → 5 → 10 → 50 → 100% on green, as the rules must read stage after stage. */
const STAGES: PairWeights[] = [0, 1, 2, 5, 10, 50, 100].map(green => ({ green, blue: 100 - green }))

describe('a deploy whose alarms stay OK, over the default action and the /api/* rule', () => {
  // One rollout, observed from every side; each test below checks one aspect of it.
  let s: Stack
  let tap: WriteTap
  let result: RunResult
  let seen: Record<string, PairWeights[]>
  let statuses: RecordedStatus[]
  let listenerBefore: RuleWeights

  beforeAll(async () => {
    s = await provisionStack()
    tap = await startWriteTap(e2e.proxy.url)
    listenerBefore = await readWeights(s.aws, s.listenerArn)
    const watch = watchWeights(s, [s.listenerArn, s.rules.api])
    result = await runAction(
      { ...e2e.context(s), awsEndpoint: tap.url },
      { inputs: deployInputs(s) }
    )
    seen = await watch.stop()
    // useE2e forgets the statuses before each test: keep this run's.
    statuses = e2e.github.statuses()
  })
  afterAll(() => tap.close())

  const sentTo = (arn: string) =>
    tap
      .writes()
      .filter((w: TappedWrite) => w.arn === arn)
      .map(w => ({
        green: w.weights[s.targetGroups.green.arn],
        blue: w.weights[s.targetGroups.blue.arn]
      }))

  it('moves both rules through 1, 2, 5, 10, 50 and 100% in order', () => {
    expect(seen[s.listenerArn]).toEqual(STAGES)
    expect(seen[s.rules.api]).toEqual(STAGES)
  })

  it('writes each rule once per stage, with both weights explicit, 0 included', () => {
    expect(sentTo(s.listenerArn)).toEqual(STAGES.slice(1))
    expect(sentTo(s.rules.api)).toEqual(STAGES.slice(1))
    // The two writes of a stage go out together, so only their number is fixed, not their order.
    expect(tap.answered().filter(w => w.operation === 'ModifyListener')).toHaveLength(6)
    expect(tap.answered().filter(w => w.operation === 'ModifyRule')).toHaveLength(6)
  })

  it('ends promoted, with all traffic on the new service and the roles swapped', async () => {
    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({
      result: 'promoted',
      percent: '100',
      'live-service': 'web-green',
      'idle-service': 'web-blue',
      reason: ''
    })
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 0, green: 100 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
  })

  it('leaves the stickiness config of each forward as it was', async () => {
    expect((await readWeights(s.aws, s.rules.api)).stickiness).toEqual(API_STICKINESS)
    expect((await readWeights(s.aws, s.listenerArn)).stickiness).toEqual(listenerBefore.stickiness)
  })

  it('records the promotion, with the new service live, in the tags of both rules', async () => {
    for (const arn of [s.listenerArn, s.rules.api]) {
      expect(await readTags(s.aws, arn)).toMatchObject({
        'ecs-canary:phase': 'promoted',
        'ecs-canary:live': 'web-green',
        'ecs-canary:idle': 'web-blue',
        'ecs-canary:owner': 'acme/web/runs/4242424242/1'
      })
    }
  })

  it('reports every stage as a pending commit status, then success', () => {
    // What follows the share (how the gates read) is the status module's to pin down.
    const pending = (stage: number, percent: number) => [
      'pending',
      expect.stringMatching(new RegExp(`^stage ${stage}/6 · ${percent}% on web-green( ·|$)`))
    ]
    expect(statuses.map(st => [st.state, st.description])).toEqual([
      pending(1, 1),
      pending(2, 2),
      pending(3, 5),
      pending(4, 10),
      pending(5, 50),
      pending(6, 100),
      ['success', 'promoted web-green to 100%']
    ])
    expect(result.summary).toContain('**Promoted**')
  })
})

describe('a deploy over a rule with an authenticate-oidc action', () => {
  it('keeps the authenticate action first, with its order and config', async () => {
    const s = await provisionStack({ oidcRule: true })
    const oidc = s.rules.oidc!
    const before = await readWeights(s.aws, oidc)

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, {
        'listener-rules': [s.rules.api, oidc].join('\n'),
        stages: '50:1s,100:1s'
      })
    })

    expect(result.code).toBe(0)
    const after = await readWeights(s.aws, oidc)
    expect(after.actions.map(a => [a.Type, a.Order])).toEqual([
      ['authenticate-oidc', 1],
      ['forward', 2]
    ])
    expect(after.actions[0]).toEqual(before.actions[0])
    expect(await pairWeights(s, oidc)).toEqual({ blue: 0, green: 100 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
  })
})
