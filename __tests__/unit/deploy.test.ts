import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch'
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand
} from '@aws-sdk/client-ecs'
import {
  AddTagsCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type { DescribeTargetHealthCommandOutput } from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand
} from '@aws-sdk/client-application-auto-scaling'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import { makeContext } from '../../src/modes/context.js'
import { readSettings } from '../../src/inputs/inputs.js'
import { deploy } from '../../src/modes/deploy.js'
import { Tag } from '../../src/names.js'
import {
  GREEN_TG,
  RULE,
  THIRD_TG,
  alarms,
  healthyTargets,
  noTags,
  pair,
  ruleWith
} from './aws-fixtures.js'

const elb = mockClient(ElasticLoadBalancingV2Client)
const ecs = mockClient(ECSClient)
// No scalable targets: these services do not auto scale (src/aws/autoscaling/scaling.ts is tested on its own).
mockClient(ApplicationAutoScalingClient)
  .on(DescribeScalableTargetsCommand)
  .resolves({ ScalableTargets: [] })
const cloudwatch = mockClient(CloudWatchClient)

// Static credentials: the SDK must never go looking for an instance profile from a unit test.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST'
process.env.AWS_SECRET_ACCESS_KEY = 'secret'

function context(inputs: Record<string, string> = {}) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    alarms: 'web-5xx',
    stages: '50:20ms,100:20ms',
    'poll-interval': '100ms',
    ...inputs
  }
  // A poll under a second is allowed against a local endpoint only (no DescribeAlarms quota).
  const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }
  const settings = readSettings(name => all[name] ?? '', env)
  return makeContext(settings, new AbortController().signal)
}

const TASK_DEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7'
const TASK_DEF_8 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8'

/** Tags recording that a rollout of `revision` to web-green was rolled back. */
function rolledBack(revision: string) {
  const tags = {
    [Tag.phase]: 'rolled-back',
    [Tag.live]: 'web-blue',
    [Tag.idle]: 'web-green',
    [Tag.revision]: revision,
    [Tag.reason]: 'alarm web-5xx'
  }
  return {
    TagDescriptions: [
      { ResourceArn: RULE, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }
    ],
    $metadata: {}
  }
}

const WRITES = [
  ModifyRuleCommand,
  ModifyListenerCommand,
  AddTagsCommand,
  UpdateServiceCommand,
  RegisterTaskDefinitionCommand
] as const

function expectNoWrite() {
  for (const command of WRITES) {
    const client = [elb, ecs].find(c => c.commandCalls(command as never).length > 0)
    expect(client ? command.name : 'none').toBe('none')
  }
}

/** The rule keeps whatever weights ModifyRule last wrote, as ELB does; tags are accepted. */
function rulesThatMove() {
  let weights = { blue: 100, green: 0 }
  elb.on(DescribeRulesCommand).callsFake(async () => ruleWith(weights))
  elb.on(ModifyRuleCommand).callsFake(async input => {
    const groups = input.Actions[0].ForwardConfig.TargetGroups
    weights = { blue: groups[0].Weight, green: groups[1].Weight }
    return {}
  })
  elb.on(AddTagsCommand).resolves({})
}

beforeEach(() => {
  elb.reset()
  ecs.reset()
  cloudwatch.reset()
  elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 100, green: 0 }))
  elb.on(DescribeTagsCommand).resolves(noTags)
  elb.on(DescribeTargetHealthCommand).resolves(healthyTargets)
  ecs.on(DescribeServicesCommand).resolves(pair())
  cloudwatch.on(DescribeAlarmsCommand).resolves(alarms({ name: 'web-5xx', state: 'OK' }))
})

describe('deploy pre-flight', () => {
  it('refuses an alarm name that does not exist, and writes nothing', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms({ name: 'web-5xx', state: 'OK' }))
    await expect(deploy(context({ alarms: 'web-5xx web-typo' }))).rejects.toThrow(
      "alarm 'web-typo' does not exist in this account and region (input 'alarms')"
    )
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx', 'web-typo'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm']
    })
    expectNoWrite()
  })

  it('refuses an alarm already in ALARM, with its state reason', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves(alarms({ name: 'web-5xx', state: 'ALARM', reason: 'Threshold Crossed: 9 > 5' }))
    await expect(deploy(context())).rejects.toThrow(
      "alarm 'web-5xx' is already in ALARM (Threshold Crossed: 9 > 5)"
    )
    expectNoWrite()
  })

  it('refuses an alarm already INSUFFICIENT_DATA under insufficient-data: alarm, and writes nothing', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(
      alarms({
        name: 'web-5xx',
        state: 'INSUFFICIENT_DATA',
        reason: 'Insufficient Data: 1 datapoint was unknown.'
      })
    )
    await expect(deploy(context({ 'insufficient-data': 'alarm' }))).rejects.toThrow(
      "alarm 'web-5xx' is INSUFFICIENT_DATA (Insufficient Data: 1 datapoint was unknown.), which counts as ALARM with insufficient-data: alarm"
    )
    expectNoWrite()
  })

  it('lets an alarm in INSUFFICIENT_DATA through under insufficient-data: ok', async () => {
    rulesThatMove()
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves(alarms({ name: 'web-5xx', state: 'INSUFFICIENT_DATA' }))
    const end = await deploy(context())
    expect(end.outcome.result).toBe('promoted')
  })

  it('refuses a rule that forwards to a third target group, naming it', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 100, green: 0, third: 0 }))
    await expect(deploy(context())).rejects.toThrow(
      `${RULE} forwards to ${THIRD_TG}, which is not the target group of either service`
    )
    expectNoWrite()
  })

  it('refuses traffic split with no record, naming a rollback to either service', async () => {
    elb.on(DescribeRulesCommand).resolves(ruleWith({ blue: 90, green: 10 }))
    await expect(deploy(context())).rejects.toThrow(
      /traffic is split between web-blue and web-green .*10% .*run with `mode: rollback` and `to: web-blue` .* or run with `mode: rollback` and `to: web-green`/
    )
    expectNoWrite()
  })

  it('refuses a service managed by CodeDeploy', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(pair({ deploymentController: { type: 'CODE_DEPLOY' } }))
    await expect(deploy(context())).rejects.toThrow(
      /service web-green uses the CODE_DEPLOY deployment controller; its traffic is managed by CodeDeploy/
    )
    expectNoWrite()
  })

  it.each(['BLUE_GREEN', 'LINEAR', 'CANARY'] as const)(
    "refuses a service using ECS's own %s strategy",
    async strategy => {
      ecs.on(DescribeServicesCommand).resolves(pair({ deploymentConfiguration: { strategy } }))
      await expect(deploy(context())).rejects.toThrow(
        `service web-green uses ECS's own ${strategy} deployment strategy`
      )
      expectNoWrite()
    }
  )

  it('refuses a second deploy while a rollout is paused, naming the owner run', async () => {
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [
        {
          ResourceArn: RULE,
          Tags: [
            { Key: Tag.phase, Value: 'paused' },
            { Key: Tag.live, Value: 'web-blue' },
            { Key: Tag.idle, Value: 'web-green' },
            { Key: Tag.owner, Value: 'acme/web/runs/4242/1' }
          ]
        }
      ]
    })
    await expect(deploy(context())).rejects.toThrow(
      /a rollout of web-green is paused on these rules \(owner: https:\/\/github.com\/acme\/web\/actions\/runs\/4242\/attempts\/1/
    )
    expectNoWrite()
  })

  it('writes nothing at all in a dry run, and plans the exact weights', async () => {
    const end = await deploy(context({ 'dry-run': 'true', stages: '0.5,5,100' }))
    expect(end.outcome.result).toBe('unchanged')
    expect(end.summary?.planned?.map(s => s.tenths)).toEqual([5, 50, 1000])
    expectNoWrite()
  })

  it('prints in a dry run what it would do to the idle service: revision and desired count', async () => {
    ecs.on(DescribeServicesCommand).resolves(pair({ desiredCount: 0 }))
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: TASK_DEF_8, family: 'web', status: 'ACTIVE' }
    })
    const printed: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      printed.push(String(chunk))
      return true
    })
    try {
      await deploy(context({ 'dry-run': 'true', 'task-definition': 'web:8' }))
    } finally {
      spy.mockRestore()
    }
    expect(printed.join('')).toContain(
      `web-green would run ${TASK_DEF_8} (now ${TASK_DEF}), set its desired count from 0 to 2 (canary-capacity: match)`
    )
    // The first stage of the plan, not a fixed 1%.
    expect(printed.join('')).toContain('and need healthy targets before 50%.')
    expect(printed.join('')).not.toContain('before 1%.')
    expectNoWrite()
  })

  it('refuses to re-promote the revision just rolled back unless allow-redeploy says so', async () => {
    // web-green still runs web:8, rolled back; web-blue serves web:7.
    ecs.on(DescribeServicesCommand).resolves(pair({ taskDefinition: TASK_DEF_8 }))
    elb.on(DescribeTagsCommand).resolves(rolledBack(TASK_DEF_8))
    await expect(deploy(context())).rejects.toThrow(
      `web-green still runs ${TASK_DEF_8}, which these rules record as rolled back`
    )
    await expect(deploy(context())).rejects.toThrow(
      /Give a fixed revision in 'task-definition', or run with `mode: deploy` and `allow-redeploy: true`/
    )
    expectNoWrite()

    rulesThatMove()
    ecs.on(DescribeServicesCommand).resolves(pair({ taskDefinition: TASK_DEF_8 }))
    elb.on(DescribeTagsCommand).resolves(rolledBack(TASK_DEF_8))
    const end = await deploy(context({ 'allow-redeploy': 'true' }))
    expect(end.outcome.result).toBe('promoted')
  })

  it('lets a deploy go when the rolled-back revision is what the live service runs too', async () => {
    rulesThatMove()
    elb.on(DescribeTagsCommand).resolves(rolledBack(TASK_DEF))
    const end = await deploy(context())
    expect(end.outcome.result).toBe('promoted')
  })

  it('deploys when the revision rolled back is no longer on the idle service', async () => {
    rulesThatMove()
    elb.on(DescribeTagsCommand).resolves(rolledBack(TASK_DEF_8))
    expect((await deploy(context())).outcome.result).toBe('promoted')
  })
})

describe('deploy', () => {
  it('claims the rules, shifts both weights explicitly each stage, and records the promotion', async () => {
    rulesThatMove()
    const end = await deploy(context())
    expect(end.outcome).toMatchObject({ result: 'promoted', liveService: 'web-green' })
    const sent = elb.commandCalls(ModifyRuleCommand).map(c => c.args[0].input.Actions?.[0])
    expect(sent.map(a => a?.ForwardConfig?.TargetGroups?.map(g => g.Weight))).toEqual([
      [50, 50],
      [0, 100]
    ])
    const phases = elb
      .commandCalls(AddTagsCommand)
      .map(c => c.args[0].input.Tags?.find(t => t.Key === Tag.phase)?.Value)
    expect(phases).toEqual(['in-progress', 'promoted'])
    expect(elb).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: GREEN_TG })
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('rolls back when a canary target is unhealthy on two reads while baking, naming it', async () => {
    rulesThatMove()
    const sick = {
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: '10.0.1.11', Port: 8080 },
          TargetHealth: {
            State: 'unhealthy',
            Reason: 'Target.Timeout',
            Description: 'Request timed out'
          }
        }
      ],
      $metadata: {}
    } satisfies DescribeTargetHealthCommandOutput
    // The check before 1% sees it healthy; every read while baking sees it unhealthy.
    elb.on(DescribeTargetHealthCommand).resolvesOnce(healthyTargets).resolves(sick)
    const end = await deploy(context({ stages: '50:1s,100:20ms' }))
    expect(end.outcome.result).toBe('rolled-back')
    expect(end.outcome.reason).toContain(
      'health gate: 1 of 2 canary target(s) unhealthy on two reads in a row: 10.0.1.11:8080 unhealthy Target.Timeout (Request timed out)'
    )
    const sent = elb.commandCalls(ModifyRuleCommand).map(c => c.args[0].input.Actions?.[0])
    expect(sent.map(a => a?.ForwardConfig?.TargetGroups?.map(g => g.Weight)).at(-1)).toEqual([
      100, 0
    ])
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'web-cluster',
      services: ['web-green']
    })
  })

  it('reads no target health while baking with health-gate: off', async () => {
    rulesThatMove()
    const end = await deploy(context({ 'health-gate': 'off', stages: '50:300ms,100:20ms' }))
    expect(end.outcome.result).toBe('promoted')
    // Once, before 1%: the idle service must be healthy before any traffic moves.
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1)
  })

  it('records the revision it registered from a file, not the one the idle service ran', async () => {
    rulesThatMove()
    const registered = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8'
    ecs
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: registered } })
    ecs
      .on(UpdateServiceCommand)
      .resolves({ service: { deployments: [{ id: 'ecs-svc/web-green', status: 'PRIMARY' }] } })
    const file = join(mkdtempSync(join(tmpdir(), 'ecs-canary-deploy-')), 'td.json')
    writeFileSync(file, JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web' }] }))

    const end = await deploy(context({ 'task-definition': file }))

    expect(end.taskDefinitionArn).toBe(registered)
    const tagged = elb.commandCalls(AddTagsCommand).map(c => {
      const tags = c.args[0].input.Tags ?? []
      const value = (key: string) => tags.find(t => t.Key === key)?.Value
      return [value(Tag.phase), value(Tag.revision)]
    })
    // Claimed before registering (no ARN yet), then re-claimed with the ARN before any shift.
    expect(tagged.slice(1)).toEqual([
      ['in-progress', registered],
      ['promoted', registered]
    ])
  })
})
