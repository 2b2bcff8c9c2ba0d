import { beforeEach, describe, expect, it } from '@jest/globals'
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs'
import {
  AddTagsCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand
} from '@aws-sdk/client-application-auto-scaling'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import { makeContext } from '../../src/modes/context.js'
import { readSettings } from '../../src/inputs/inputs.js'
import { rollback } from '../../src/modes/rollback.js'
import { Tag } from '../../src/names.js'
import type { Phase } from '../../src/engine/types.js'
import { RULE, healthyTargets, noTags, pair, ruleWith } from './aws-fixtures.js'

const elb = mockClient(ElasticLoadBalancingV2Client)
const ecs = mockClient(ECSClient)
// No scalable targets: these services do not auto scale (src/aws/autoscaling/scaling.ts is tested on its own).
mockClient(ApplicationAutoScalingClient)
  .on(DescribeScalableTargetsCommand)
  .resolves({ ScalableTargets: [] })
mockClient(CloudWatchClient)

// Static credentials: the SDK must never go looking for an instance profile from a unit test.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST'
process.env.AWS_SECRET_ACCESS_KEY = 'secret'

function context(inputs: Record<string, string> = {}) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    mode: 'rollback',
    ...inputs
  }
  const settings = readSettings(name => all[name] ?? '', { AWS_REGION: 'us-east-1' })
  return makeContext(settings, new AbortController().signal)
}

/** The rule's tags recording a rollout of web-green in `phase`. */
function recorded(phase: Phase, plan = '1:5m 10:pause 100:5m') {
  return {
    TagDescriptions: [
      {
        ResourceArn: RULE,
        Tags: [
          { Key: Tag.phase, Value: phase },
          { Key: Tag.live, Value: 'web-blue' },
          { Key: Tag.idle, Value: 'web-green' },
          { Key: Tag.plan, Value: plan },
          { Key: Tag.owner, Value: 'acme/web/runs/4242/1' }
        ]
      }
    ],
    $metadata: {}
  }
}

/** The phases recorded with AddTags, in order. */
function recordedPhases() {
  return elb
    .commandCalls(AddTagsCommand)
    .map(c => c.args[0].input.Tags?.find(t => t.Key === Tag.phase)?.Value)
}

beforeEach(() => {
  elb.reset()
  ecs.reset()
  elb.on(DescribeTargetHealthCommand).resolves(healthyTargets)
  elb.on(AddTagsCommand).resolves({})
  ecs.on(DescribeServicesCommand).resolves(pair())
})

describe('rollback', () => {
  it('frees a paused record whose traffic is already all on live, without moving weights', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 100, green: 0 }))
    elb.on(DescribeTagsCommand).resolves(recorded('paused'))

    const end = await rollback(context())

    expect(end.outcome).toMatchObject({ result: 'rolled-back', tenths: 0 })
    expect(end.failed).toBe(false)
    expect(recordedPhases()).toEqual(['rolled-back'])
    expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand)
    expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand)
  })

  it('leaves a finished record alone when there is nothing to roll back', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 100, green: 0 }))
    elb.on(DescribeTagsCommand).resolves(recorded('rolled-back'))

    const end = await rollback(context())

    expect(end.outcome.result).toBe('unchanged')
    expect(elb).not.toHaveReceivedCommand(AddTagsCommand)
  })

  it('puts traffic back even when the recorded plan no longer parses', async () => {
    let weights = { blue: 90, green: 10 }
    elb.on(DescribeRulesCommand).callsFake(async () => ruleWith(weights))
    elb.on(ModifyRuleCommand).callsFake(async () => {
      weights = { blue: 100, green: 0 }
      return {}
    })
    elb.on(DescribeTagsCommand).resolves(recorded('paused', '1:5m 2:5m 5:5m 10:5m 20:5m...'))

    const end = await rollback(context())

    expect(end.outcome).toMatchObject({ result: 'rolled-back', tenths: 0 })
    expect(weights).toEqual({ blue: 100, green: 0 })
    // It owns the rules while restoring (so its post step protects it), then records the end.
    expect(recordedPhases()).toEqual(['in-progress', 'rolled-back'])
    expect(end.summary?.record.outcome?.reason).toMatch(/rolled back by hand from 10%/)
  })

  it('with no record and all traffic on one service, has nothing to roll back', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 100, green: 0 }))
    elb.on(DescribeTagsCommand).resolves(noTags)

    const end = await rollback(context())

    expect(end.outcome).toMatchObject({ result: 'unchanged', liveService: 'web-blue' })
    expect(elb).not.toHaveReceivedCommand(AddTagsCommand)
  })

  it('with no record and traffic split, refuses and names a rollback to either service', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 1, green: 1 }))
    elb.on(DescribeTagsCommand).resolves(noTags)

    await expect(rollback(context())).rejects.toThrow(
      /no rollout is recorded .*run with `mode: rollback` and `to: web-blue`.* or run with `mode: rollback` and `to: web-green`/
    )
    expect(elb).not.toHaveReceivedCommand(ModifyRuleCommand)
    expect(elb).not.toHaveReceivedCommand(AddTagsCommand)
  })

  it('puts all traffic on the service named in to, whatever the record says', async () => {
    let weights = { blue: 1, green: 1 }
    elb.on(DescribeRulesCommand).callsFake(async () => ruleWith(weights))
    elb.on(ModifyRuleCommand).callsFake(async input => {
      const groups = input.Actions[0].ForwardConfig.TargetGroups
      weights = { blue: groups[0].Weight, green: groups[1].Weight }
      return {}
    })
    elb.on(DescribeTagsCommand).resolves(recorded('promoted'))

    const end = await rollback(context({ to: 'web-green' }))

    expect(end.outcome).toMatchObject({
      result: 'rolled-back',
      liveService: 'web-green',
      idleService: 'web-blue'
    })
    expect(weights).toEqual({ blue: 0, green: 100 })
    expect(recordedPhases()).toEqual(['in-progress', 'rolled-back'])
    const live = elb.commandCalls(AddTagsCommand).at(-1)?.args[0].input.Tags
    expect(live?.find(t => t.Key === Tag.live)?.Value).toBe('web-green')
    expect(elb).toHaveReceivedCommand(DescribeTargetHealthCommand)
  })
})
