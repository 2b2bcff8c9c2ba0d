import { describe, it, expect, beforeEach } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import type { GetMetricDataCommandOutput, MetricDataResult } from '@aws-sdk/client-cloudwatch'
import {
  loadBalancerDimension,
  readTargetGroupStats,
  targetGroupDimension
} from '../../src/aws/cloudwatch/metrics.js'

const cloudWatch = mockClient(CloudWatchClient)
const client = new CloudWatchClient({ region: 'us-east-1' })

const PREFIX = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const arns = {
  loadBalancerArn: `${PREFIX}:loadbalancer/app/web/50dc6c495c0c9188`,
  canaryTargetGroupArn: `${PREFIX}:targetgroup/web-green/73e2d6bc24d8a067`,
  liveTargetGroupArn: `${PREFIX}:targetgroup/web-blue/8f1c5a0c2b3d4e5f`
}

/** 12:00:30 to 12:03:10 UTC: partial minutes at both ends. */
const START = Date.UTC(2025, 5, 1, 12, 0, 30)
const END = Date.UTC(2025, 5, 1, 12, 3, 10)

function result(id: string, values: number[]): MetricDataResult {
  return { Id: id, Values: values, StatusCode: 'Complete' }
}

const busyStage = {
  MetricDataResults: [
    result('canary_requests', [60, 70, 70]),
    result('canary_errors', [1, 0, 2]),
    result('canary_latencySum', [2.5, 3, 2.5]),
    result('canary_latencyCount', [60, 70, 70]),
    result('canary_code2', [59, 70, 68]),
    result('live_requests', [6000, 7000, 7000]),
    result('live_errors', [20, 20, 20]),
    result('live_latencySum', [234, 273, 273]),
    result('live_latencyCount', [6000, 7000, 7000]),
    result('live_code2', [5900, 6950, 6970]),
    result('live_code4', [80, 30, 10])
  ],
  $metadata: {}
} satisfies GetMetricDataCommandOutput

beforeEach(() => {
  cloudWatch.reset()
})

describe('readTargetGroupStats', () => {
  it('asks for both target groups in one GetMetricData call, dimensions cut from the ARNs', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(busyStage)
    await readTargetGroupStats(client, arns, START, END)

    expect(cloudWatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1)
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input
    const queries = input.MetricDataQueries ?? []
    expect(queries).toHaveLength(18)
    const perSide = (side: string) => [
      [`${side}_requests`, 'RequestCount', 'Sum'],
      [`${side}_errors`, 'HTTPCode_Target_5XX_Count', 'Sum'],
      [`${side}_latencySum`, 'TargetResponseTime', 'Sum'],
      [`${side}_latencyCount`, 'TargetResponseTime', 'SampleCount'],
      [`${side}_connect`, 'TargetConnectionErrorCount', 'Sum'],
      [`${side}_tls`, 'TargetTLSNegotiationErrorCount', 'Sum'],
      [`${side}_code2`, 'HTTPCode_Target_2XX_Count', 'Sum'],
      [`${side}_code3`, 'HTTPCode_Target_3XX_Count', 'Sum'],
      [`${side}_code4`, 'HTTPCode_Target_4XX_Count', 'Sum']
    ]
    expect(queries.map(q => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ...perSide('canary'),
      ...perSide('live')
    ])
    // Every series of a side carries both dimensions: none of them exists per group without.
    for (const q of queries) {
      expect(q.MetricStat?.Metric?.Dimensions?.map(d => d.Name)).toEqual([
        'LoadBalancer',
        'TargetGroup'
      ])
    }
    expect(queries[0].MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [
          { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
          { Name: 'TargetGroup', Value: 'targetgroup/web-green/73e2d6bc24d8a067' }
        ]
      },
      Period: 60,
      Stat: 'Sum'
    })
    expect(queries[9].MetricStat?.Metric?.Dimensions?.[1]).toEqual({
      Name: 'TargetGroup',
      Value: 'targetgroup/web-blue/8f1c5a0c2b3d4e5f'
    })
  })

  it('widens the window to whole minutes so partial minutes count', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(busyStage)
    await readTargetGroupStats(client, arns, START, END)

    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(Date.UTC(2025, 5, 1, 12, 0, 0)),
      EndTime: new Date(Date.UTC(2025, 5, 1, 12, 4, 0))
    })
  })

  it('asks for at least one minute when the stage has just started', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(busyStage)
    const minute = Date.UTC(2025, 5, 1, 12, 0, 0)
    await readTargetGroupStats(client, arns, minute, minute)

    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(minute),
      EndTime: new Date(minute + 60_000)
    })
  })

  it('sums every minute of each side', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(busyStage)
    const { canary, live } = await readTargetGroupStats(client, arns, START, END)

    expect(canary).toEqual({
      requests: 200,
      errors: 3,
      latencySum: 8,
      latencyCount: 200,
      connectionErrors: 0,
      responses: 200
    })
    expect(live).toEqual({
      requests: 20000,
      errors: 60,
      latencySum: 780,
      latencyCount: 20000,
      connectionErrors: 0,
      responses: 20000
    })
  })

  it('reads missing data as zero requests, not as a clean canary', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('canary_requests', []), result('live_requests', [500])],
      $metadata: {}
    } satisfies GetMetricDataCommandOutput)
    const { canary, live } = await readTargetGroupStats(client, arns, START, END)

    expect(canary).toMatchObject({ requests: 0, errors: 0, responses: 0, connectionErrors: 0 })
    expect(live).toMatchObject({ requests: 500, errors: 0, responses: 0, connectionErrors: 0 })
  })

  it('counts connection and TLS errors, and the responses of every class, per side', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('canary_requests', [30, 20]),
        result('canary_connect', [25, 10]),
        result('canary_tls', [2]),
        result('canary_code2', [5]),
        result('canary_code3', [1]),
        result('canary_code4', [2]),
        result('canary_errors', [1])
      ],
      $metadata: {}
    } satisfies GetMetricDataCommandOutput)
    const { canary } = await readTargetGroupStats(client, arns, START, END)

    expect(canary).toMatchObject({ requests: 50, connectionErrors: 37, responses: 9, errors: 1 })
  })

  it('says which minute of the canary’s requests is the newest published', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'canary_requests',
          Values: [70, 60],
          Timestamps: [
            new Date(Date.UTC(2025, 5, 1, 12, 2)),
            new Date(Date.UTC(2025, 5, 1, 12, 1))
          ],
          StatusCode: 'Complete'
        },
        result('live_requests', [500])
      ],
      $metadata: {}
    } satisfies GetMetricDataCommandOutput)
    const { canary, live } = await readTargetGroupStats(client, arns, START, END)

    expect(canary.newestMinute).toBe(Date.UTC(2025, 5, 1, 12, 2))
    expect(live.newestMinute).toBeUndefined()
  })

  it('follows NextToken and adds the pages up', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [result('canary_requests', [60])],
        NextToken: 'more',
        $metadata: {}
      } satisfies GetMetricDataCommandOutput)
      .resolvesOnce({
        MetricDataResults: [result('canary_requests', [40])],
        $metadata: {}
      } satisfies GetMetricDataCommandOutput)
    const { canary } = await readTargetGroupStats(client, arns, START, END)

    expect(canary.requests).toBe(100)
    expect(cloudWatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2)
    expect(cloudWatch).toHaveReceivedNthSpecificCommandWith(2, GetMetricDataCommand, {
      NextToken: 'more'
    })
  })

  it('refuses a result CloudWatch could not compute rather than reading it as zero', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'canary_errors',
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'not authorized' }]
        }
      ],
      $metadata: {}
    } satisfies GetMetricDataCommandOutput)
    await expect(readTargetGroupStats(client, arns, START, END)).rejects.toThrow(
      /could not return canary_errors .*Forbidden: not authorized/
    )
  })

  it('names GetMetricData and both target groups when CloudWatch refuses the call', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: cloudwatch:GetMetricData'
      ),
      { name: 'AccessDenied' }
    )
    cloudWatch.on(GetMetricDataCommand).rejects(denied)
    await expect(readTargetGroupStats(client, arns, START, END)).rejects.toThrow(
      `GetMetricData failed for target groups web-green (canary) and web-blue (live): AccessDenied: ${denied.message}`
    )
  })

  it('sends nothing when an ARN is not usable', async () => {
    await expect(
      readTargetGroupStats(client, { ...arns, canaryTargetGroupArn: 'web-green' }, START, END)
    ).rejects.toThrow("'web-green' is not a target group ARN")
    expect(cloudWatch).not.toHaveReceivedCommand(GetMetricDataCommand)
  })
})

describe('loadBalancerDimension', () => {
  it.each([
    [`${PREFIX}:loadbalancer/app/web/50dc6c495c0c9188`],
    [`${PREFIX}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`],
    [`${PREFIX}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`]
  ])('cuts app/<name>/<id> from %s', arn => {
    expect(loadBalancerDimension(arn)).toBe('app/web/50dc6c495c0c9188')
  })

  it('refuses a network load balancer, which has no HTTP status counts', () => {
    expect(() => loadBalancerDimension(`${PREFIX}:loadbalancer/net/web/50dc6c495c0c9188`)).toThrow(
      /not the ARN of an Application Load Balancer/
    )
  })
})

describe('targetGroupDimension', () => {
  it('cuts targetgroup/<name>/<id> from the ARN', () => {
    expect(targetGroupDimension(arns.liveTargetGroupArn)).toBe(
      'targetgroup/web-blue/8f1c5a0c2b3d4e5f'
    )
  })
})
