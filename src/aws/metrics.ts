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
import type { TargetGroupStats } from '../analysis.js'
import { isApplication, parseArnOf } from '../arn.js'

/** The load balancer and the two target groups to compare, by ARN. */
export interface TargetGroupArns {
  /**
   * The ALB's ARN. A listener or listener-rule ARN of that ALB works too: it embeds the same
   * `app/<name>/<id>`, which saves a DescribeTargetGroups call.
   */
  readonly loadBalancerArn: string
  readonly canaryTargetGroupArn: string
  readonly liveTargetGroupArn: string
}

/** ALB metrics are published per minute; a finer period only finds nothing. */
const PERIOD_S = 60
const PERIOD_MS = PERIOD_S * 1000

/** One query per statistic per side; ids are how the results are told apart. */
const SERIES = [
  { key: 'requests', metric: 'RequestCount', stat: 'Sum' },
  { key: 'errors', metric: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  { key: 'latencySum', metric: 'TargetResponseTime', stat: 'Sum' },
  { key: 'latencyCount', metric: 'TargetResponseTime', stat: 'SampleCount' }
] as const satisfies readonly { key: keyof TargetGroupStats; metric: string; stat: string }[]

type Side = 'canary' | 'live'

/**
 * Sums each side's requests, 5xx responses and response times over [startMs, endMs]. The start
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
  let nextToken: string | undefined
  do {
    const input: GetMetricDataCommandInput = {
      MetricDataQueries: queries,
      StartTime: new Date(start),
      EndTime: new Date(end),
      NextToken: nextToken
    }
    const page = await client.send(new GetMetricDataCommand(input))
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
    }
    nextToken = page.NextToken
  } while (nextToken)
  const stats = (side: Side): TargetGroupStats => ({
    requests: sums.get(`${side}_requests`) ?? 0,
    errors: sums.get(`${side}_errors`) ?? 0,
    latencySum: sums.get(`${side}_latencySum`) ?? 0,
    latencyCount: sums.get(`${side}_latencyCount`) ?? 0
  })
  return { canary: stats('canary'), live: stats('live') }
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
