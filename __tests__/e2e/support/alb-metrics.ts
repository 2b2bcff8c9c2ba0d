import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import type { TestAws } from './clients.js'

/** What one target group served since the last push. */
export interface TargetGroupTraffic {
  requests: number
  /** HTTP 5xx answered by the targets. */
  errors: number
  /** Mean response time, in milliseconds (default 40). */
  latencyMs?: number
  /** Requests no target answered (refused or reset connections): no HTTPCode_Target_* count. */
  unanswered?: number
  /** TargetConnectionErrorCount (published only when nonzero, as the ALB does). */
  connectionErrors?: number
}

/** `app/<name>/<id>` and `targetgroup/<name>/<id>`: the dimension values ALB metrics carry. */
function dimensionValue(arn: string, prefix: 'loadbalancer/' | 'targetgroup'): string {
  const resource = arn.split(':').slice(5).join(':')
  return prefix === 'loadbalancer/' ? resource.slice(prefix.length) : resource
}

/**
 * Publishes one per-target-group datapoint of RequestCount, HTTPCode_Target_2XX_Count (the
 * requests answered without a 5xx), HTTPCode_Target_5XX_Count, TargetConnectionErrorCount and
 * TargetResponseTime (as a statistic set, one sample per answered request), as the ALB would,
 * stamped now.
 * Dimensions are written LoadBalancer first, then TargetGroup: moto matches them in that order.
 */
export async function pushTargetGroupTraffic(
  aws: TestAws,
  loadBalancerArn: string,
  targetGroupArn: string,
  traffic: TargetGroupTraffic
): Promise<void> {
  const Dimensions = [
    { Name: 'LoadBalancer', Value: dimensionValue(loadBalancerArn, 'loadbalancer/') },
    { Name: 'TargetGroup', Value: dimensionValue(targetGroupArn, 'targetgroup') }
  ]
  const Timestamp = new Date()
  const latency = (traffic.latencyMs ?? 40) / 1000
  const answered = traffic.requests - (traffic.unanswered ?? 0)
  const ok = answered - traffic.errors
  await aws.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/ApplicationELB',
      MetricData: [
        { MetricName: 'RequestCount', Dimensions, Timestamp, Value: traffic.requests },
        {
          MetricName: 'HTTPCode_Target_5XX_Count',
          Dimensions,
          Timestamp,
          Value: traffic.errors
        },
        ...(ok > 0
          ? [{ MetricName: 'HTTPCode_Target_2XX_Count', Dimensions, Timestamp, Value: ok }]
          : []),
        ...(traffic.connectionErrors
          ? [
              {
                MetricName: 'TargetConnectionErrorCount',
                Dimensions,
                Timestamp,
                Value: traffic.connectionErrors
              }
            ]
          : []),
        ...(answered > 0
          ? [
              {
                MetricName: 'TargetResponseTime',
                Dimensions,
                Timestamp,
                StatisticValues: {
                  SampleCount: answered,
                  Sum: latency * answered,
                  Minimum: latency,
                  Maximum: latency
                }
              }
            ]
          : [])
      ]
    })
  )
}
