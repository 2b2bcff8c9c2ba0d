import { afterEach, describe, expect, it } from '@jest/globals'
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch'
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs'
import {
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  RemoveTagsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { testAws } from './support/clients.js'
import type { TestAws } from './support/clients.js'
import {
  API_STICKINESS,
  provisionStack,
  readTags,
  readWeights,
  setAlarm,
  setWeights,
  writeTags
} from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'

const e2e = useE2e()
const opened: TestAws[] = []

async function stack(options: Parameters<typeof provisionStack>[0] = {}): Promise<Stack> {
  const provisioned = await provisionStack(options)
  opened.push(provisioned.aws)
  return provisioned
}

/** Clients for the stack's account that go through the fault proxy, as the action's do. */
function viaProxy(provisioned: Stack): TestAws {
  const aws = testAws(provisioned.account, e2e.proxy.url)
  opened.push(aws)
  return aws
}

afterEach(() => {
  opened.splice(0).forEach(aws => aws.destroy())
})

describe('provisionStack', () => {
  it('puts all traffic on the live group, on the listener and the rule', async () => {
    const s = await stack()
    const { blue, green } = s.targetGroups

    const listener = await readWeights(s.aws, s.listenerArn)
    const rule = await readWeights(s.aws, s.rules.api)

    expect(listener.weights).toEqual({ [blue.arn]: 100, [green.arn]: 0 })
    expect(rule.weights).toEqual({ [blue.arn]: 100, [green.arn]: 0 })
    expect(rule.stickiness).toEqual(API_STICKINESS)
  })

  it('can make green the live side', async () => {
    const s = await stack({ live: 'green' })

    const rule = await readWeights(s.aws, s.rules.api)

    expect(s.idle).toBe('blue')
    expect(rule.weights[s.targetGroups.green.arn]).toBe(100)
  })

  it('registers healthy ip targets in groups attached to the load balancer', async () => {
    const s = await stack({ targetsPerGroup: 3 })

    const { TargetGroups } = await s.aws.elbv2.send(
      new DescribeTargetGroupsCommand({ Names: ['web-blue-tg', 'web-green-tg'] })
    )
    const health = await s.aws.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroups.green.arn })
    )

    for (const group of TargetGroups ?? []) {
      expect(group.LoadBalancerArns).toContain(s.loadBalancerArn)
    }
    expect(health.TargetHealthDescriptions?.map(d => d.TargetHealth?.State)).toEqual([
      'healthy',
      'healthy',
      'healthy'
    ])
  })

  it('creates a settled ECS pair behind the two groups', async () => {
    const s = await stack()

    const { services } = await s.aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-blue', 'web-green'] })
    )

    expect(services?.map(svc => [svc.serviceName, svc.desiredCount, svc.runningCount])).toEqual([
      ['web-blue', 2, 2],
      ['web-green', 0, 0]
    ])
    expect(services?.[0].deploymentController).toEqual({ type: 'ECS' })
    expect(services?.[0].deployments?.[0].rolloutState).toBe('COMPLETED')
    expect(services?.[1].loadBalancers?.[0].targetGroupArn).toBe(s.targetGroups.green.arn)
    expect(services?.[0].taskDefinition).toBe(s.taskDefinitionArn)
    expect(services?.[0].deploymentConfiguration?.strategy).toBe('ROLLING')
  })

  it('can create a service whose deployment never completes', async () => {
    const s = await stack({ services: { green: { desiredCount: 3 } } })

    const { services } = await s.aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-green'] })
    )

    expect(services?.[0]).toMatchObject({ desiredCount: 3, runningCount: 2 })
    expect(services?.[0].deployments?.[0].rolloutState).toBe('IN_PROGRESS')
  })

  it('creates a CODE_DEPLOY service when asked, for the refusal path', async () => {
    const s = await stack({ services: { green: { deploymentController: 'CODE_DEPLOY' } } })

    const { services } = await s.aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-green'] })
    )

    expect(services?.[0].deploymentController).toEqual({ type: 'CODE_DEPLOY' })
  })

  it('adds an authenticate-oidc rule and a rule with a third group', async () => {
    const s = await stack({ oidcRule: true, thirdGroupRule: true })

    const oidc = await readWeights(s.aws, s.rules.oidc!)
    const third = await readWeights(s.aws, s.rules.thirdGroup!)

    expect(oidc.actions.map(a => [a.Type, a.Order])).toEqual([
      ['authenticate-oidc', 1],
      ['forward', 2]
    ])
    expect(Object.keys(third.weights)).toContain(s.targetGroups.third!.arn)
  })

  it('starts alarms in OK and finds metric and composite types', async () => {
    const s = await stack()

    const alarms = await s.aws.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: [...s.alarmNames, 'web-typo'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm']
      })
    )

    expect(alarms.MetricAlarms?.map(a => [a.AlarmName, a.StateValue])).toEqual([
      ['web-5xx', 'OK'],
      ['web-latency', 'OK']
    ])
    expect(alarms.CompositeAlarms).toEqual([])
  })

  it('builds every stack in an account of its own', async () => {
    const [a, b] = await Promise.all([stack(), stack()])

    const seenFromA = a.aws.elbv2.send(new DescribeRulesCommand({ RuleArns: [b.rules.api] }))

    expect(a.account.accountId).not.toBe(b.account.accountId)
    await expect(seenFromA).rejects.toMatchObject({ name: 'RuleNotFoundException' })
  })
})

describe('what moto gives back', () => {
  it('keeps the stickiness config when ModifyRule sends it', async () => {
    const s = await stack()
    const { blue, green } = s.targetGroups

    await s.aws.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: s.rules.api,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: blue.arn, Weight: 95 },
                { TargetGroupArn: green.arn, Weight: 5 }
              ],
              TargetGroupStickinessConfig: API_STICKINESS
            }
          }
        ]
      })
    )

    const rule = await readWeights(s.aws, s.rules.api)
    expect(rule.weights).toEqual({ [blue.arn]: 95, [green.arn]: 5 })
    expect(rule.stickiness).toEqual(API_STICKINESS)
  })

  it('keeps the authenticate action ahead of the forward when weights change', async () => {
    const s = await stack({ oidcRule: true })
    const { blue, green } = s.targetGroups

    await setWeights(s.aws, s.rules.oidc!, { [blue.arn]: 90, [green.arn]: 10 })

    const rule = await readWeights(s.aws, s.rules.oidc!)
    expect(rule.actions.map(a => a.Type)).toEqual(['authenticate-oidc', 'forward'])
    expect(rule.weights).toEqual({ [blue.arn]: 90, [green.arn]: 10 })
  })

  it('tags listener rules and listeners', async () => {
    const s = await stack()

    await writeTags(s.aws, s.rules.api, { 'ecs-canary:phase': 'in-progress' })
    await writeTags(s.aws, s.listenerArn, { 'ecs-canary:phase': 'paused' })
    await s.aws.elbv2.send(
      new RemoveTagsCommand({ ResourceArns: [s.listenerArn], TagKeys: ['ecs-canary:phase'] })
    )

    expect(await readTags(s.aws, s.rules.api)).toEqual({ 'ecs-canary:phase': 'in-progress' })
    expect(await readTags(s.aws, s.listenerArn)).toEqual({})
  })

  it('changes an alarm only through SetAlarmState', async () => {
    const s = await stack()

    await setAlarm(s.aws, 'web-5xx', 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] > 5')

    const { MetricAlarms } = await s.aws.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] })
    )
    expect(MetricAlarms?.[0]).toMatchObject({
      StateValue: 'ALARM',
      StateReason: 'Threshold Crossed: 1 datapoint [12.0] > 5'
    })
  })
})

describe('fault proxy', () => {
  it('throttles one ModifyRule, which the SDK retries', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.inject({ operation: 'ModifyRule', fault: 'throttle' })
    const { blue, green } = s.targetGroups

    const { $metadata } = await aws.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: s.rules.api,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: blue.arn, Weight: 99 },
                { TargetGroupArn: green.arn, Weight: 1 }
              ],
              TargetGroupStickinessConfig: API_STICKINESS
            }
          }
        ]
      })
    )

    expect($metadata.attempts).toBe(2)
    expect(e2e.proxy.counts()).toEqual({ ModifyRule: 2 })
    expect(e2e.proxy.writes()).toBe(2)
    expect(e2e.proxy.calls().map(c => [c.attempt, c.fault, c.status])).toEqual([
      [1, 'throttle', 400],
      [2, undefined, 200]
    ])
    expect((await readWeights(s.aws, s.rules.api)).weights[green.arn]).toBe(1)
  })

  it('does not count the test side, which talks to moto directly', async () => {
    const s = await stack()

    await readWeights(s.aws, s.rules.api)

    expect(e2e.proxy.counts()).toEqual({})
  })

  it('retries a throttled ECS call and a throttled CloudWatch call', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.inject({ operation: 'DescribeServices', fault: 'throttle' })
    e2e.proxy.inject({ operation: 'DescribeAlarms', fault: 'throttle' })

    const ecs = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-blue'] })
    )
    const cloudwatch = await aws.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] })
    )

    expect([ecs.$metadata.attempts, cloudwatch.$metadata.attempts]).toEqual([2, 2])
    expect(e2e.proxy.calls().map(c => [c.service, c.protocol, c.operation])).toEqual([
      ['ecs', 'json', 'DescribeServices'],
      ['ecs', 'json', 'DescribeServices'],
      ['monitoring', 'json', 'DescribeAlarms'],
      ['monitoring', 'json', 'DescribeAlarms']
    ])
  })

  it('denies without a retry, in each protocol', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    for (const operation of ['ModifyRule', 'UpdateService', 'DescribeAlarms']) {
      e2e.proxy.inject({ operation, fault: 'denied' })
    }

    const errors = await Promise.all([
      aws.elbv2.send(new ModifyRuleCommand({ RuleArn: s.rules.api, Actions: [] })).catch(e => e),
      aws.ecs
        .send(
          new UpdateServiceCommand({
            cluster: s.clusterName,
            service: 'web-green',
            desiredCount: 2
          })
        )
        .catch(e => e),
      aws.cloudwatch.send(new DescribeAlarmsCommand({})).catch(e => e)
    ])

    expect(errors.map(describeError)).toEqual([
      ['AccessDenied', 403, 1],
      ['AccessDeniedException', 400, 1],
      ['AccessDenied', 403, 1]
    ])
    expect(e2e.proxy.writes()).toBe(2)
  })

  it('fails with a server error once the SDK has retried', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.inject({ operation: 'DescribeServices', fault: 'error500', times: 'always' })
    e2e.proxy.inject({ operation: 'DescribeRules', fault: 'error500', nth: 2 })

    const ecs = await aws.ecs
      .send(new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-blue'] }))
      .catch(e => e)
    await aws.elbv2.send(new DescribeRulesCommand({ RuleArns: [s.rules.api] }))
    const second = await aws.elbv2.send(new DescribeRulesCommand({ RuleArns: [s.rules.api] }))

    expect(describeError(ecs)).toEqual(['ServerException', 500, 3])
    expect(second.$metadata.attempts).toBe(2)
    expect(e2e.proxy.counts()).toEqual({ DescribeServices: 3, DescribeRules: 3 })
  })

  it('stalls a call for a while, then lets it through', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.inject({ operation: 'DescribeAlarms', fault: 'stall', stallMs: 400 })

    const started = Date.now()
    const { MetricAlarms } = await aws.cloudwatch.send(new DescribeAlarmsCommand({}))

    expect(Date.now() - started).toBeGreaterThanOrEqual(400)
    expect(MetricAlarms).toHaveLength(2)
  })

  it('stalls a call until the client gives up', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.inject({ operation: 'DescribeAlarms', fault: 'stall', times: 'always' })

    const call = aws.cloudwatch.send(new DescribeAlarmsCommand({}), {
      abortSignal: AbortSignal.timeout(300)
    })

    await expect(call).rejects.toThrow()
    expect(e2e.proxy.calls()).toMatchObject([{ operation: 'DescribeAlarms', fault: 'stall' }])
    expect(e2e.proxy.calls()[0].status).toBeUndefined()
  })
})

function describeError(error: {
  name: string
  $metadata: { httpStatusCode?: number; attempts?: number }
}): [string, number | undefined, number | undefined] {
  return [error.name, error.$metadata.httpStatusCode, error.$metadata.attempts]
}
