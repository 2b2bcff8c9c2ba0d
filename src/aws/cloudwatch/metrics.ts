/**
 * CloudWatch adapter for canary analysis: the ALB's per-target-group metrics, both groups in one
 * GetMetricData call.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import type {
  CloudWatchClient,
  GetMetricDataCommandInput,
  MetricDataQuery
} from '@aws-sdk/client-cloudwatch'
import type { TargetGroupArns, TargetGroupStats } from '../../engine/analysis.js'
import { isApplication, parseArnOf } from '../../arn.js'
import { targetGroupName } from '../../arn.js'

export type { TargetGroupArns } from '../../engine/analysis.js'

/** ALB metrics are published per minute; a finer period only finds nothing. */
const PERIOD_S = 60
const PERIOD_MS = PERIOD_S * 1000

/**
 * One query per statistic per side; ids are how the results are told apart. Every metric here is
 * published per target group with the dimensions (LoadBalancer, TargetGroup), per AWS's
 * "CloudWatch metrics for your Application Load Balancer"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
 * RequestCount, HTTPCode_Target_2XX/3XX/4XX/5XX_Count, TargetConnectionErrorCount,
 * TargetTLSNegotiationErrorCount and TargetResponseTime all list "TargetGroup, LoadBalancer".
 * The load balancer's own HTTPCode_ELB_5XX_Count (the 502/503/504 a crashing canary causes) has
 * no TargetGroup dimension, so the canary's share of it is read the other way round: requests
 * routed to the group (RequestCount counts only requests for which a target was chosen) that no
 * target answered, and connection errors. 9 series × 2 sides = 18 queries, one call (≤ 500).
 */
const SERIES = [
  { key: 'requests', metric: 'RequestCount', stat: 'Sum' },
  { key: 'errors', metric: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  { key: 'latencySum', metric: 'TargetResponseTime', stat: 'Sum' },
  { key: 'latencyCount', metric: 'TargetResponseTime', stat: 'SampleCount' },
  { key: 'connect', metric: 'TargetConnectionErrorCount', stat: 'Sum' },
  { key: 'tls', metric: 'TargetTLSNegotiationErrorCount', stat: 'Sum' },
  { key: 'code2', metric: 'HTTPCode_Target_2XX_Count', stat: 'Sum' },
  { key: 'code3', metric: 'HTTPCode_Target_3XX_Count', stat: 'Sum' },
  { key: 'code4', metric: 'HTTPCode_Target_4XX_Count', stat: 'Sum' }
] as const

type Side = 'canary' | 'live'

/**
 * Sums each side's requests, target responses by class, connection errors and response times
 * over [startMs, endMs]. The start
 * is aligned down and the end up to the minute, so the minutes the window touches count whole.
 * Missing data sums to zero: no request count means no requests, so the verdict waits rather
 * than passing a canary nobody has called.
 */
export async function readTargetGroupStats(
  client: CloudWatchClient,
  arns: TargetGroupArns,
  startMs: number,
  endMs: number
): Promise<{ canary: TargetGroupStats; live: TargetGroupStats }> {
  const loadBalancer = loadBalancerDimension(arns.loadBalancerArn)
  const groups: Record<Side, string> = {
    canary: targetGroupDimension(arns.canaryTargetGroupArn),
    live: targetGroupDimension(arns.liveTargetGroupArn)
  }
  const queries: MetricDataQuery[] = (['canary', 'live'] as const).flatMap(side =>
    SERIES.map(s => ({
      Id: `${side}_${s.key}`,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: s.metric,
          Dimensions: [
            { Name: 'LoadBalancer', Value: loadBalancer },
            { Name: 'TargetGroup', Value: groups[side] }
          ]
        },
        Period: PERIOD_S,
        Stat: s.stat
      }
    }))
  )
  const start = Math.floor(startMs / PERIOD_MS) * PERIOD_MS
  const end = Math.max(Math.ceil(endMs / PERIOD_MS) * PERIOD_MS, start + PERIOD_MS)
  const sums = new Map<string, number>()
  const newest = new Map<string, number>()
  let nextToken: string | undefined
  do {
    const input: GetMetricDataCommandInput = {
      MetricDataQueries: queries,
      StartTime: new Date(start),
      EndTime: new Date(end),
      NextToken: nextToken
    }
    const page = await send(client, input, arns)
    for (const result of page.MetricDataResults ?? []) {
      if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
        const why = (result.Messages ?? []).map(m => m.Value).join('; ')
        throw new Error(
          `CloudWatch could not return ${result.Id} for the canary analysis (${result.StatusCode}${why ? `: ${why}` : ''}); check that the role may call cloudwatch:GetMetricData.`
        )
      }
      const id = result.Id ?? ''
      const sum = (result.Values ?? []).reduce((a, b) => a + b, 0)
      sums.set(id, (sums.get(id) ?? 0) + sum)
      if (id.endsWith('_requests')) {
        // The ALB publishes RequestCount only for minutes with requests: the newest minute it
        // has published so far tells how far the (1-2 minutes late) data has come.
        const times = (result.Timestamps ?? []).map(t => new Date(t).getTime())
        newest.set(id, Math.max(newest.get(id) ?? -Infinity, ...times))
      }
    }
    nextToken = page.NextToken
  } while (nextToken)
  const sum = (side: Side, key: (typeof SERIES)[number]['key']) => sums.get(`${side}_${key}`) ?? 0
  const stats = (side: Side): TargetGroupStats => ({
    requests: sum(side, 'requests'),
    errors: sum(side, 'errors'),
    latencySum: sum(side, 'latencySum'),
    latencyCount: sum(side, 'latencyCount'),
    connectionErrors: sum(side, 'connect') + sum(side, 'tls'),
    responses: sum(side, 'code2') + sum(side, 'code3') + sum(side, 'code4') + sum(side, 'errors'),
    ...(Number.isFinite(newest.get(`${side}_requests`))
      ? { newestMinute: newest.get(`${side}_requests`) }
      : {})
  })
  return { canary: stats('canary'), live: stats('live') }
}

/** One GetMetricData call; its error names the call and both target groups. */
async function send(
  client: CloudWatchClient,
  input: GetMetricDataCommandInput,
  arns: TargetGroupArns
) {
  try {
    return await client.send(new GetMetricDataCommand(input))
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    throw new Error(
      `GetMetricData failed for target groups ${targetGroupName(arns.canaryTargetGroupArn)} (canary) and ` +
        `${targetGroupName(arns.liveTargetGroupArn)} (live): ${text}`,
      { cause: error }
    )
  }
}

/**
 * `app/<name>/<id>` from an ALB, listener or listener-rule ARN. Network load balancers are
 * refused: they publish no HTTP status counts to compare.
 */
export function loadBalancerDimension(arn: string): string {
  const parsed = parseArnOf(arn, ['load-balancer', 'listener', 'listener-rule'])
  if (!parsed?.loadBalancer || !isApplication(parsed)) {
    throw new Error(
      `'${arn}' is not the ARN of an Application Load Balancer or one of its listeners or rules; canary analysis reads the ALB's per-target-group metrics and needs one.`
    )
  }
  return parsed.loadBalancer
}

/** `targetgroup/<name>/<id>` from a target group ARN. */
export function targetGroupDimension(arn: string): string {
  const parsed = parseArnOf(arn, ['target-group'])
  if (!parsed) {
    throw new Error(
      `'${arn}' is not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>).`
    )
  }
  return parsed.resource
}
