import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricDataCommand
} from '@aws-sdk/client-cloudwatch'
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs'
import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  RemoveTagsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand
} from '@aws-sdk/client-application-auto-scaling'
import { REGION } from './support/accounts.js'
import { registerScalable } from './support/capacity-helpers.js'
import { testAws } from './support/clients.js'
import { startFaultProxy } from './support/fault-proxy.js'
import type { TestAws } from './support/clients.js'
import { forward } from './support/fixture-elb.js'
import { provisionStack, readWeights } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'

// The strict stand-in itself: each rule makes moto answer as documented AWS does (README.md in
// support/ has the sources). Calls go through the proxy with the test's own SDK clients.
const e2e = useE2e()
const opened: TestAws[] = []

async function stack(options: Parameters<typeof provisionStack>[0] = {}): Promise<Stack> {
  const provisioned = await provisionStack(options)
  opened.push(provisioned.aws)
  return provisioned
}

function viaProxy(s: Stack): TestAws {
  const aws = testAws(s.account, e2e.proxy.url)
  opened.push(aws)
  return aws
}

afterEach(() => {
  opened.splice(0).forEach(aws => aws.destroy())
})

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

describe('ELB tagging', () => {
  it('refuses AddTags and RemoveTags for more than one resource, as AWS does', async () => {
    const s = await stack()
    const elb = viaProxy(s).elbv2
    const two = [s.listenerArn, s.rules.api]

    await expect(
      elb.send(new AddTagsCommand({ ResourceArns: two, Tags: [{ Key: 'k', Value: 'v' }] }))
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Only one resource can be tagged at a time'
    })
    await expect(
      elb.send(new RemoveTagsCommand({ ResourceArns: two, TagKeys: ['k'] }))
    ).rejects.toMatchObject({ name: 'ValidationError' })
    await elb.send(
      new AddTagsCommand({ ResourceArns: [s.rules.api], Tags: [{ Key: 'k', Value: 'v' }] })
    )
    expect(e2e.proxy.calls().map(c => [c.operation, c.status, c.strict])).toEqual([
      ['AddTags', 400, ['tag-one-resource']],
      ['RemoveTags', 400, ['tag-one-resource']],
      ['AddTags', 200, undefined]
    ])
  })

  it('refuses tag keys and values ELB does not allow', async () => {
    const s = await stack()
    const elb = viaProxy(s).elbv2
    const tag = (Key: string, Value: string) =>
      elb.send(new AddTagsCommand({ ResourceArns: [s.rules.api], Tags: [{ Key, Value }] }))

    await expect(tag('ecs-canary:reason', 'rolled back (5xx)')).rejects.toMatchObject({
      name: 'ValidationError'
    })
    await expect(tag('k'.repeat(129), 'v')).rejects.toMatchObject({ name: 'ValidationError' })
    await expect(tag('k', 'v'.repeat(256))).rejects.toMatchObject({ name: 'ValidationError' })
    await tag('ecs-canary:reason', 'rolled back: web-5xx is ALARM @ 12:00 +1 = ok/_')
    await tag('k'.repeat(128), 'v'.repeat(255))
  })

  it('refuses DescribeTags for more than 20 resources', async () => {
    const s = await stack()
    const arns = Array.from({ length: 21 }, () => s.rules.api)
    await expect(
      viaProxy(s).elbv2.send(new DescribeTagsCommand({ ResourceArns: arns }))
    ).rejects.toMatchObject({ name: 'ValidationError' })
  })
})

describe('OIDC client secrets', () => {
  it('never come back from DescribeRules or DescribeListeners', async () => {
    const s = await stack({ oidcRule: true })
    const elb = viaProxy(s).elbv2
    // moto itself returns the secret it was given.
    expect(JSON.stringify(await readWeights(s.aws, s.rules.oidc!))).toContain('e2e-client-secret')

    const rules = await elb.send(new DescribeRulesCommand({ RuleArns: [s.rules.oidc!] }))
    const listeners = await elb.send(
      new DescribeListenersCommand({ ListenerArns: [s.listenerArn] })
    )

    const oidc = rules.Rules![0].Actions!.find(a => a.Type === 'authenticate-oidc')
    expect(oidc?.AuthenticateOidcConfig?.ClientId).toBe('web')
    expect(oidc?.AuthenticateOidcConfig).not.toHaveProperty('ClientSecret')
    expect(JSON.stringify([rules, listeners])).not.toContain('e2e-client-secret')
  })

  it('are kept by a write with UseExistingClientSecret, as AWS keeps them', async () => {
    const s = await stack({ oidcRule: true })
    const elb = viaProxy(s).elbv2
    const { Rules } = await elb.send(new DescribeRulesCommand({ RuleArns: [s.rules.oidc!] }))
    const [oidc, fwd] = Rules![0].Actions!
    await elb.send(
      new ModifyRuleCommand({
        RuleArn: s.rules.oidc!,
        Actions: [
          {
            ...oidc,
            AuthenticateOidcConfig: {
              ...oidc.AuthenticateOidcConfig!,
              UseExistingClientSecret: true
            }
          },
          fwd
        ]
      })
    )
    const stored = (await readWeights(s.aws, s.rules.oidc!)).actions[0].AuthenticateOidcConfig
    expect(stored?.ClientSecret).toBe('e2e-client-secret')
  })
})

describe('target health', () => {
  it('reports the targets of a scale-up initial first, healthy once the window has passed', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    // Registration for the first half of the window, health checks for the second: long enough
    // that a read on a loaded machine still lands in each half (issue 28).
    e2e.proxy.strict({ initialMs: 4_000 })
    const health = async () => {
      const out = await aws.elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroups.green.arn })
      )
      return out.TargetHealthDescriptions!.map(d =>
        [d.TargetHealth?.State, d.TargetHealth?.Reason].filter(Boolean).join(' ')
      )
    }
    expect(await health()).toEqual(['healthy', 'healthy'])

    await aws.ecs.send(
      new UpdateServiceCommand({ cluster: s.clusterName, service: 'web-green', desiredCount: 2 })
    )
    // Read until healthy (bounded), keeping each change: the order is what is checked, not when.
    const seen: string[] = []
    for (const bound = Date.now() + 60_000; Date.now() < bound;) {
      const now = (await health())[0]
      if (seen.at(-1) !== now) seen.push(now)
      if (now === 'healthy') break
      await sleep(100)
    }
    expect(seen).toEqual([
      'initial Elb.RegistrationInProgress',
      'initial Elb.InitialHealthChecking',
      'healthy'
    ])
  })

  it('drains the targets a scale-down stops, then drops them', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    e2e.proxy.strict({ drainingMs: 800 })
    await aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-blue'] })
    )
    await aws.ecs.send(
      new UpdateServiceCommand({ cluster: s.clusterName, service: 'web-blue', desiredCount: 1 })
    )
    const health = async () =>
      (
        await aws.elbv2.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroups.blue.arn })
        )
      ).TargetHealthDescriptions!.map(d => [d.Target?.Id, d.TargetHealth?.State])
    expect(await health()).toEqual([
      ['10.0.11.10', 'healthy'],
      ['10.0.11.11', 'draining']
    ])
    await sleep(900)
    expect(await health()).toEqual([['10.0.11.10', 'healthy']])
  })
})

describe('rule reads after a write', () => {
  it('show the previous weights for the lag, while the write itself answers as written', async () => {
    const s = await stack()
    const elb = viaProxy(s).elbv2
    const { blue, green } = s.targetGroups
    const weightsOf = (actions: { ForwardConfig?: { TargetGroups?: { Weight?: number }[] } }[]) =>
      actions[0].ForwardConfig!.TargetGroups!.map(t => t.Weight)
    const read = async () =>
      weightsOf(
        (await elb.send(new DescribeRulesCommand({ RuleArns: [s.rules.api] }))).Rules![0].Actions!
      )
    expect(await read()).toEqual([100, 0])

    const written = await elb.send(
      new ModifyRuleCommand({
        RuleArn: s.rules.api,
        Actions: [forward({ [blue.arn]: 90, [green.arn]: 10 })]
      })
    )
    expect(weightsOf(written.Rules![0].Actions!)).toEqual([90, 10])
    expect(await read()).toEqual([100, 0])
    await sleep(1_100)
    expect(await read()).toEqual([90, 10])
  })
})

describe('batch limits', () => {
  it('refuse DescribeServices for more than 10 services and DescribeAlarms for more than 100 names', async () => {
    const s = await stack()
    const aws = viaProxy(s)
    await expect(
      aws.ecs.send(
        new DescribeServicesCommand({
          cluster: s.clusterName,
          services: Array(11).fill('web-blue')
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidParameterException' })
    await expect(
      aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: Array(101).fill('web-5xx') }))
    ).rejects.toMatchObject({ name: 'ValidationException', Code: 'ValidationError' })
    await aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: Array(100).fill('web-5xx') }))
  })
})

describe('ALB metrics', () => {
  it('stay invisible until their minute has ended and the publishing delay has passed', async () => {
    const s = await stack()
    const minute = 60_000
    const now = Date.now()
    const recent = new Date(Math.floor(now / minute) * minute - minute)
    const old = new Date(Math.floor(now / minute) * minute - 3 * minute)
    const Dimensions = [{ Name: 'TargetGroup', Value: 'targetgroup/web-green-tg/1' }]
    await s.aws.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/ApplicationELB',
        MetricData: [
          { MetricName: 'RequestCount', Dimensions, Timestamp: old, Value: 5 },
          { MetricName: 'RequestCount', Dimensions, Timestamp: recent, Value: 7 }
        ]
      })
    )
    e2e.proxy.strict({ metricDelayMs: 90_000 })
    const out = await viaProxy(s).cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(old.getTime() - minute),
        EndTime: new Date(now + minute),
        MetricDataQueries: [
          {
            Id: 'requests',
            MetricStat: {
              Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions },
              Period: 60,
              Stat: 'Sum'
            }
          }
        ]
      })
    )
    expect(out.MetricDataResults![0].Values).toEqual([5])
  })
})

describe('denials', () => {
  // moto's IAM enforcement (helper tests run moto with it) answers every protocol with the XML
  // of a query service; a stand-in upstream plays that answer here.
  it('reach a JSON-protocol SDK client in its own error format', async () => {
    const motoDenial =
      '<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code>' +
      '<Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices</Message>' +
      '<Type>Sender</Type></Error></Errors></ErrorResponse>'
    const upstream = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(403, {
          'content-type': 'application/xml',
          'x-amzn-errortype': 'AccessDenied'
        })
        res.end(motoDenial)
      })
    })
    await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
    const proxy = await startFaultProxy(
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    )
    const s = await stack()
    const strictAws = testAws(s.account, proxy.url)
    const plainProxy = await startFaultProxy(
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      { strict: false }
    )
    const plainAws = testAws(s.account, plainProxy.url)
    opened.push(strictAws, plainAws)
    try {
      const describe = (aws: TestAws) =>
        aws.ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['web-blue'] }))
      await expect(describe(strictAws)).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringContaining('ecs:DescribeServices')
      })
      await expect(
        strictAws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['a'] }))
      ).rejects.toMatchObject({ name: 'AccessDenied' })
      // Without the rule the SDK cannot read moto's answer: no AccessDenied reaches the action.
      const plain = (await describe(plainAws).catch((e: unknown) => e)) as Error
      expect(plain.name).not.toMatch(/AccessDenied/)
    } finally {
      await proxy.close()
      await plainProxy.close()
      upstream.close()
    }
  })
})

describe('Application Auto Scaling (aas-capacity)', () => {
  /** blue at `count` tasks with a scalable target in 1..3, registered straight on moto. */
  async function scalable(count: number) {
    const s = await stack({ services: { blue: { desiredCount: count } } })
    await registerScalable(s, 'blue', { min: 1, max: 3 })
    return s
  }

  async function register(s: Stack) {
    const aas = new ApplicationAutoScalingClient({
      region: REGION,
      endpoint: e2e.proxy.url,
      credentials: s.account.credentials
    })
    await aas.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: `service/${s.clusterName}/web-blue`,
        SuspendedState: { DynamicScalingInSuspended: true }
      })
    )
    aas.destroy()
  }

  async function desired(s: Stack) {
    const { services } = await s.aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-blue'] })
    )
    return services?.[0]?.desiredCount
  }

  it('moves the desired count inside Min..Max on a RegisterScalableTarget that names only SuspendedState, as AWS does', async () => {
    const s = await scalable(0)
    await register(s)
    expect(await desired(s)).toBe(1)
    expect(e2e.proxy.calls().find(c => c.operation === 'RegisterScalableTarget')?.strict).toEqual([
      'aas-capacity'
    ])
  })

  it('cuts a count above MaxCapacity, and leaves the count alone with the rule off (moto)', async () => {
    const s = await scalable(2)
    await s.aws.ecs.send(
      new UpdateServiceCommand({ cluster: s.clusterName, service: 'web-blue', desiredCount: 5 })
    )
    await register(s)
    expect(await desired(s)).toBe(3)
    await s.aws.ecs.send(
      new UpdateServiceCommand({ cluster: s.clusterName, service: 'web-blue', desiredCount: 5 })
    )
    e2e.proxy.strict({ off: ['aas-capacity'] })
    await register(s)
    expect(await desired(s)).toBe(5)
  })
})
